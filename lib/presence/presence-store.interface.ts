/** One socket of a user in a scope: `online` (connected at all) or `room:<name>`. */
export interface PresenceEntry {
  scope: string;
  userId: string;
  /** Unique across instances: `<instanceId>:<socketId>`. */
  socket: string;
}

/** Where presence lives: Redis across instances, or memory on one instance. */
export interface PresenceStore {
  /** Records the socket; resolves true when it is the user's first live socket in the scope. */
  add(entry: PresenceEntry): Promise<boolean>;
  /** Forgets the socket; resolves true when it was the user's last live socket in the scope. */
  remove(entry: PresenceEntry): Promise<boolean>;
  /** Extends the life of this instance's entries (a dead instance's entries lapse). */
  refresh(entries: PresenceEntry[]): Promise<void>;
  /** Whether the user has a live socket in the scope. */
  has(scope: string, userId: string): Promise<boolean>;
  /** The users with a live socket in the scope. */
  users(scope: string): Promise<string[]>;
  close(): Promise<void>;
}

/** DI token of the {@link PresenceStore}. */
export const PresenceStore = Symbol('PresenceStore');
