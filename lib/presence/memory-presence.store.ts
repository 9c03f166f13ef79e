import type { LapsedPresence, PresenceEntry, PresenceStore } from './presence-store.interface.js';

/** Presence for one instance without Redis: every socket is local, so nothing expires. */
export class MemoryPresenceStore implements PresenceStore {
  private readonly scopes = new Map<string, Map<string, Set<string>>>();

  async add({ scope, userId, socket }: PresenceEntry): Promise<boolean> {
    const users = this.scopes.get(scope) ?? new Map<string, Set<string>>();
    this.scopes.set(scope, users);
    const sockets = users.get(userId) ?? new Set<string>();
    users.set(userId, sockets);
    sockets.add(socket);
    return sockets.size === 1;
  }

  async remove({ scope, userId, socket }: PresenceEntry): Promise<boolean> {
    const users = this.scopes.get(scope);
    const sockets = users?.get(userId);
    if (!users || !sockets?.delete(socket) || sockets.size > 0) return false;
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
