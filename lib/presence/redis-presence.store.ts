import type { LazyRedisConnections } from '../redis/lazy-redis-connections.js';
import type { RedisClient, RedisConnections } from '../redis/redis-connections.js';
import type { LapsedPresence, PresenceEntry, PresenceStore } from './presence-store.interface.js';

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

// KEYS: the scope's users, then the sockets key of each entry, all of one scope (so one hash slot on a
// Redis Cluster). ARGV: now, ttlMs, then socket and userId of each entry, in the order of KEYS.
// A user's score is the latest lapse of its sockets in the scope, so a score in the past means that
// every socket of the user lapsed (its instance died): such users are removed here and returned, so
// that exactly one caller, cluster-wide, announces each.
const REFRESH = `
local expires = tonumber(ARGV[1]) + tonumber(ARGV[2])
for i = 2, #KEYS do
  redis.call('ZADD', KEYS[i], expires, ARGV[2 * i - 1])
  redis.call('PEXPIRE', KEYS[i], ARGV[2])
  redis.call('ZADD', KEYS[1], expires, ARGV[2 * i])
end
if #KEYS > 1 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
local lapsed = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if #lapsed > 0 then redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1]) end
return lapsed`;

/** The scripts as commands of a connection: EVALSHA, with the script text sent only on NOSCRIPT. */
interface PresenceCommands {
  presenceAdd(...keysAndArgs: (string | number)[]): Promise<number>;
  presenceRemove(...keysAndArgs: (string | number)[]): Promise<number>;
  presenceRefresh(numberOfKeys: number, ...keysAndArgs: (string | number)[]): Promise<string[]>;
}

/** Declares the presence scripts on the connections; give it as `prepare` to their `LazyRedisConnections`. */
export function definePresenceCommands({ clients: [client] }: RedisConnections): void {
  client.defineCommand('presenceAdd', { numberOfKeys: 2, lua: ADD });
  client.defineCommand('presenceRemove', { numberOfKeys: 2, lua: REMOVE });
  client.defineCommand('presenceRefresh', { lua: REFRESH });
}

const commands = (client: RedisClient) => client as RedisClient & PresenceCommands;

/** Entries per REFRESH call: a few milliseconds of Redis time each. */
const REFRESH_BATCH_SIZE = 500;

/**
 * Presence shared by every instance, on connections prepared with {@link definePresenceCommands}. Each (scope, user) is a sorted set of sockets scored by when
 * they lapse, and each scope has a sorted set of its users: `has` is one ZCOUNT, `users` one range,
 * and a dead instance's sockets lapse `ttlMs` after its last heartbeat, when the next heartbeat of
 * an instance watching the scope removes and reports them.
 */
export class RedisPresenceStore implements PresenceStore {
  constructor(
    private readonly redis: LazyRedisConnections,
    private readonly keyPrefix: string,
    private readonly ttlMs: number,
  ) {}

  async add(entry: PresenceEntry): Promise<boolean> {
    return (await this.redis.run((client) => commands(client).presenceAdd(...this.keys(entry), ...this.args(entry)))) === 1;
  }

  async remove(entry: PresenceEntry): Promise<boolean> {
    return (await this.redis.run((client) => commands(client).presenceRemove(...this.keys(entry), ...this.args(entry)))) === 1;
  }

  refresh(entries: PresenceEntry[], watched: string[] = []): Promise<LapsedPresence[]> {
    return this.redis.run(async (client) => {
      const now = Date.now();
      const lapsed: LapsedPresence[] = [];
      for (const [scope, scoped] of groupByScope(entries, watched)) {
        // One script call per batch, one after the other: Redis stays free for the pub/sub traffic of the
        // other instances and this event loop for its sockets, however many entries there are.
        for (let start = 0; start === 0 || start < scoped.length; start += REFRESH_BATCH_SIZE) {
          const batch = scoped.slice(start, start + REFRESH_BATCH_SIZE);
          const keys = [this.usersKey(scope), ...batch.map((entry) => this.socketsKey(scope, entry.userId))];
          const args = [now, this.ttlMs, ...batch.flatMap((entry) => [entry.socket, entry.userId])];
          const userIds = await commands(client).presenceRefresh(keys.length, ...keys, ...args);
          userIds.forEach((userId) => lapsed.push({ scope, userId }));
        }
      }
      return lapsed;
    });
  }

  async has(scope: string, userId: string): Promise<boolean> {
    return (await this.redis.run((client) => client.zcount(this.socketsKey(scope, userId), `(${Date.now()}`, '+inf'))) > 0;
  }

  users(scope: string): Promise<string[]> {
    return this.redis.run((client) => client.zrangebyscore(this.usersKey(scope), `(${Date.now()}`, '+inf'));
  }

  onReconnect(listener: () => void): void {
    this.redis.onBack(listener);
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

/** The entries of each scope, with an empty list for each watched scope that has none. */
function groupByScope(entries: PresenceEntry[], watched: string[]): Map<string, PresenceEntry[]> {
  const byScope = new Map<string, PresenceEntry[]>(watched.map((scope) => [scope, []]));
  for (const entry of entries) {
    const scoped = byScope.get(entry.scope);
    if (scoped) scoped.push(entry);
    else byScope.set(entry.scope, [entry]);
  }
  return byScope;
}
