import type { LazyRedisConnections } from '../adapter/redis-connections.js';
import type { PresenceEntry, PresenceStore } from './presence-store.interface.js';

// KEYS: the user's sockets in the scope, the scope's users. ARGV: socket, now, ttlMs, userId.
// Returns 1 when no other live socket of the user was there.
const ADD = `
local expires = tonumber(ARGV[2]) + tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[2])
local alive = redis.call('ZCARD', KEYS[1])
redis.call('ZADD', KEYS[1], expires, ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('ZADD', KEYS[2], expires, ARGV[4])
redis.call('PEXPIRE', KEYS[2], ARGV[3])
if alive == 0 then return 1 end
return 0`;

// Same KEYS and ARGV. Returns 1 when this was the user's last live socket in the scope.
const REMOVE = `
local removed = redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[2])
if redis.call('ZCARD', KEYS[1]) > 0 then return 0 end
redis.call('ZREM', KEYS[2], ARGV[4])
return removed`;

/**
 * Presence shared by every instance. Each (scope, user) is a sorted set of sockets scored by when
 * they lapse, and each scope has a sorted set of its users: `has` is one ZCOUNT, `users` one range,
 * and a dead instance's sockets lapse `ttlMs` after its last heartbeat.
 */
export class RedisPresenceStore implements PresenceStore {
  constructor(
    private readonly redis: LazyRedisConnections,
    private readonly keyPrefix: string,
    private readonly ttlMs: number,
  ) {}

  async add(entry: PresenceEntry): Promise<boolean> {
    return (await (await this.redis.client()).eval(ADD, 2, ...this.keys(entry), ...this.args(entry))) === 1;
  }

  async remove(entry: PresenceEntry): Promise<boolean> {
    return (await (await this.redis.client()).eval(REMOVE, 2, ...this.keys(entry), ...this.args(entry))) === 1;
  }

  async refresh(entries: PresenceEntry[]): Promise<void> {
    const client = await this.redis.client();
    const now = Date.now();
    const expires = now + this.ttlMs;
    const byScope = new Map<string, PresenceEntry[]>();
    for (const entry of entries) {
      const scoped = byScope.get(entry.scope);
      if (scoped) scoped.push(entry);
      else byScope.set(entry.scope, [entry]);
    }
    // One pipeline per scope: a scope's keys share a hash slot, so this also works on a Redis Cluster.
    const pipelines = [...byScope].map(([scope, scoped]) => {
      const pipeline = client.pipeline();
      for (const entry of scoped) {
        const [sockets, users] = this.keys(entry);
        pipeline.zadd(sockets, expires, entry.socket).pexpire(sockets, this.ttlMs);
        pipeline.zadd(users, expires, entry.userId).pexpire(users, this.ttlMs);
      }
      return pipeline.zremrangebyscore(this.usersKey(scope), '-inf', now).exec();
    });
    await Promise.all(pipelines);
  }

  async has(scope: string, userId: string): Promise<boolean> {
    return (await (await this.redis.client()).zcount(this.socketsKey(scope, userId), `(${Date.now()}`, '+inf')) > 0;
  }

  async users(scope: string): Promise<string[]> {
    return (await this.redis.client()).zrangebyscore(this.usersKey(scope), `(${Date.now()}`, '+inf');
  }

  close(): Promise<void> {
    return this.redis.quit();
  }

  private keys(entry: PresenceEntry): [string, string] {
    return [this.socketsKey(entry.scope, entry.userId), this.usersKey(entry.scope)];
  }

  private args(entry: PresenceEntry): (string | number)[] {
    return [entry.socket, Date.now(), this.ttlMs, entry.userId];
  }

  // The {hash tag} puts a scope's keys in one slot of a Redis Cluster, as the scripts need.
  private socketsKey(scope: string, userId: string): string {
    return `{${this.keyPrefix}:presence:${scope}}:user:${userId}`;
  }

  private usersKey(scope: string): string {
    return `{${this.keyPrefix}:presence:${scope}}:users`;
  }
}
