import { Redis } from 'ioredis';
import { LazyRedisConnections } from '../../lib/redis/lazy-redis-connections.js';
import type { PresenceEntry } from '../../lib/presence/presence-store.interface.js';
import { definePresenceCommands, RedisPresenceStore } from '../../lib/presence/redis-presence.store.js';
import { testRedis } from '../utils/redis-server.js';
import { uniquePrefix } from '../utils/test-bed.js';

describe('RedisPresenceStore', () => {
  let redis: Awaited<ReturnType<typeof testRedis>>;
  let admin: Redis;
  let keyPrefix: string;
  let store: RedisPresenceStore;

  beforeAll(async () => {
    redis = await testRedis();
    admin = new Redis(redis.url);
  });
  afterAll(async () => {
    await admin.quit();
    await redis.stop();
  });
  beforeEach(() => {
    keyPrefix = uniquePrefix('presence-store');
    const connections = new LazyRedisConnections(
      { url: redis.url, keyPrefix, requestsTimeout: 5000, mode: 'pubsub' },
      { names: ['presence'], whileDown: 'test' },
      definePresenceCommands,
    );
    store = new RedisPresenceStore(connections, keyPrefix, 30_000);
  });
  afterEach(async () => {
    await store.close();
    const keys = await admin.keys(`{${keyPrefix}:*`);
    if (keys.length) await admin.del(...keys);
  });

  const entries = (scope: string, count: number): PresenceEntry[] =>
    Array.from({ length: count }, (_, i) => ({ scope, userId: `user${i}`, socket: `instance:/:socket${i}` }));

  it('refreshes every entry of every scope, across several script calls', async () => {
    const online = entries('online', 1234);
    const lobby = entries('room:lobby', 3);

    await store.refresh([...online, ...lobby]);

    expect((await store.users('online')).sort()).toEqual(online.map((entry) => entry.userId).sort());
    expect((await store.users('room:lobby')).sort()).toEqual(['user0', 'user1', 'user2']);
    expect(await store.has('online', 'user1233')).toBe(true);
    expect(await store.has('room:lobby', 'user3')).toBe(false);
  });

  it('does not put back a socket that left while a refresh of several scopes was running', async () => {
    const [lobby, later] = [entries('room:lobby', 3), entries('room:later', 3)];
    await store.refresh([...lobby, ...later]);

    // a heartbeat's snapshot, then the socket leaves before the refresh reaches its scope
    const refreshed = store.refresh([...lobby, ...later]);
    const left = store.remove(later[0]);
    await Promise.all([refreshed, left]);

    expect((await store.users('room:later')).sort()).toEqual(['user1', 'user2']);
    expect(await store.has('room:later', 'user0')).toBe(false);
  });

  it('gives refreshed keys the TTL, so a dead instance leaves nothing behind', async () => {
    await store.refresh(entries('online', 2));

    const keys = await admin.keys(`{${keyPrefix}:*`);
    expect(keys.sort()).toEqual([
      `{${keyPrefix}:presence:online}:user:user0`,
      `{${keyPrefix}:presence:online}:user:user1`,
      `{${keyPrefix}:presence:online}:users`,
    ]);
    for (const key of keys) expect(await admin.pttl(key)).toBeGreaterThan(25_000);
  });

  const scriptCalls = async () => {
    const stats = await admin.info('commandstats');
    return [...stats.matchAll(/cmdstat_(?:eval|evalsha):calls=(\d+)/g)].reduce((sum, [, calls]) => sum + Number(calls), 0);
  };

  it('applies the adds and removes that come together in one script call per scope, in order', async () => {
    const online = entries('online', 20);
    const [tab] = entries('room:lobby', 1);
    const secondTab = { ...tab, socket: 'instance:/:another' };
    await store.add(online[0]); // opens the connection and loads the script
    await admin.config('RESETSTAT');

    const results = await Promise.all([
      ...online.slice(1).map((entry) => store.add(entry)),
      store.add(tab),
      store.add(secondTab),
      store.remove(tab),
      store.remove(secondTab),
      store.remove(online[1]),
    ]);

    expect(await scriptCalls()).toBe(2); // online and room:lobby
    // 19 first sockets; the lobby user's first socket, not the second; not the last on the first remove,
    // the last on the second; online[1] removed right after it came: its last socket.
    expect(results).toEqual([...online.slice(1).map(() => true), true, false, false, true, true]);
    expect((await store.users('online')).sort()).toEqual(
      online
        .filter((_, i) => i !== 1)
        .map((entry) => entry.userId)
        .sort(),
    );
    expect(await store.users('room:lobby')).toEqual([]);
  });

  it('sends the changes that follow a write within its window, each turn of the event loop, in one call', async () => {
    const [first, ...others] = entries('online', 6);
    await store.add(first); // opens the connection and loads the script
    await admin.config('RESETSTAT');

    const added: Promise<boolean>[] = [];
    for (const entry of others) {
      added.push(store.add(entry));
      await new Promise((resolve) => setImmediate(resolve));
    }

    expect(await Promise.all(added)).toEqual([true, true, true, true, true]);
    // one at the end of the window the first add opened; two if that window closed before the loop (a
    // slow machine): the first change alone, at once, and the four that came during its window
    expect(await scriptCalls()).toBeLessThanOrEqual(2);
  });
});
