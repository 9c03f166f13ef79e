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
});
