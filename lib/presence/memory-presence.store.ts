import type { LapsedPresence, PresenceEntry, PresenceStore } from './presence-store.interface.js';

/** A user's sockets in a scope: the socket itself while there is one (most users), a Set from the second on. */
type UserSockets = string | Set<string>;

/** Presence for one instance without Redis: every socket is local, so nothing expires. */
export class MemoryPresenceStore implements PresenceStore {
  private readonly scopes = new Map<string, Map<string, UserSockets>>();

  async add({ scope, userId, socket }: PresenceEntry): Promise<boolean> {
    const users = this.scopes.get(scope) ?? new Map<string, UserSockets>();
    this.scopes.set(scope, users);
    const sockets = users.get(userId);
    if (sockets === undefined || sockets === socket) {
      users.set(userId, socket);
      return true;
    }
    if (typeof sockets === 'string') {
      users.set(userId, new Set([sockets, socket]));
      return false;
    }
    return sockets.add(socket).size === 1;
  }

  async remove({ scope, userId, socket }: PresenceEntry): Promise<boolean> {
    const users = this.scopes.get(scope);
    const sockets = users?.get(userId);
    const last = sockets === socket || (sockets instanceof Set && sockets.delete(socket) && sockets.size === 0);
    if (!users || !last) return false;
    users.delete(userId);
    if (users.size === 0) this.scopes.delete(scope);
    return true;
  }

  async refresh(): Promise<LapsedPresence[]> {
    return [];
  }

  async has(scope: string, userId: string): Promise<boolean> {
    return this.scopes.get(scope)?.has(userId) ?? false;
  }

  async users(scope: string): Promise<string[]> {
    return [...(this.scopes.get(scope)?.keys() ?? [])];
  }

  onReconnect(): void {}

  async close(): Promise<void> {}
}
