import { MemoryPresenceStore } from './memory-presence.store.js';

describe('MemoryPresenceStore', () => {
  const entry = (socket: string, userId = 'ana', scope = 'online') => ({ scope, userId, socket });

  it("reports a user's first socket and their last, however many came between", async () => {
    const store = new MemoryPresenceStore();
    expect(await store.add(entry('a'))).toBe(true);
    expect(await store.add(entry('a'))).toBe(true); // the same socket again: still the only one
    expect(await store.add(entry('b'))).toBe(false);
    expect(await store.add(entry('c'))).toBe(false);
    expect(await store.remove(entry('a'))).toBe(false);
    expect(await store.remove(entry('a'))).toBe(false); // already gone
    expect(await store.remove(entry('c'))).toBe(false);
    expect(await store.has('online', 'ana')).toBe(true);
    expect(await store.remove(entry('b'))).toBe(true);
    expect(await store.has('online', 'ana')).toBe(false);
    expect(await store.users('online')).toEqual([]);
  });

  it('keeps users and scopes apart', async () => {
    const store = new MemoryPresenceStore();
    await store.add(entry('a'));
    await store.add(entry('b', 'bo'));
    await store.add(entry('a', 'ana', 'room:den'));
    expect(await store.remove(entry('a', 'bo'))).toBe(false); // not bo's socket
    expect(await store.remove(entry('b'))).toBe(false); // not ana's socket
    expect(await store.users('online')).toEqual(['ana', 'bo']);
    expect(await store.remove(entry('a'))).toBe(true);
    expect(await store.users('online')).toEqual(['bo']);
    expect(await store.users('room:den')).toEqual(['ana']);
  });
});
