/** One socket of a user in a scope: `online` (connected at all) or `room:<name>`. */
export interface PresenceEntry {
  scope: string;
  userId: string;
  /** Unique across instances: `<instanceId>:<namespace>:<socketId>`. */
  socket: string;
}

/** Where presence lives: Redis across instances, or memory on one instance. */
export interface PresenceStore {
  /** Records the socket; resolves true when it is the user's first live socket in the scope. */
  add(entry: PresenceEntry): Promise<boolean>;
  /** Forgets the socket; resolves true when it was the user's last live socket in the scope. */
  remove(entry: PresenceEntry): Promise<boolean>;
  /**
   * Extends the life of this instance's entries (a dead instance's entries lapse), and removes and
   * resolves the users whose every socket lapsed in the scopes of `entries` or `watched`, each reported
   * to one caller only, cluster-wide.
   */
  refresh(entries: PresenceEntry[], watched?: string[]): Promise<LapsedPresence[]>;
  /** Whether the user has a live socket in the scope. */
  has(scope: string, userId: string): Promise<boolean>;
  /** The users with a live socket in the scope. */
  users(scope: string): Promise<string[]>;
  /** Runs `listener` when the store is reachable again after an outage (and may have lost entries). */
  onReconnect(listener: () => void): void;
  close(): Promise<void>;
}

/** A user whose every socket in the scope lapsed, without leaving: its instance died. */
export interface LapsedPresence {
  scope: string;
  userId: string;
}

/** DI token of the {@link PresenceStore}. */
export const PresenceStore = Symbol('PresenceStore');
