import type { LazyRedisConnections } from '../redis/lazy-redis-connections.js';
import type { RedisClient, RedisConnections } from '../redis/redis-connections.js';
import type { LapsedPresence, PresenceEntry, PresenceStore } from './presence-store.interface.js';

// KEYS: the scope's users, then the sockets key of each change, all of one scope (one hash slot on a
// Redis Cluster). ARGV: now, ttlMs, then '+' (add) or '-' (remove), socket and userId of each change,
// in the order of KEYS. Applies them in that order and returns, for each, 1 when an add found no other
// live socket of the user in the scope, or a remove took the last one, else 0.
const CHANGE = `
local now = tonumber(ARGV[1])
local expires = now + tonumber(ARGV[2])
local results = {}
local added = false
for i = 2, #KEYS do
  local change, socket, user = ARGV[3 * i - 3], ARGV[3 * i - 2], ARGV[3 * i - 1]
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now)
  if change == '+' then
    local alive = redis.call('ZCARD', KEYS[i])
    redis.call('ZADD', KEYS[i], expires, socket)
    redis.call('PEXPIRE', KEYS[i], ARGV[2])
    redis.call('ZADD', KEYS[1], expires, user)
    added = true
    results[i - 1] = alive == 0 and 1 or 0
  else
    local removed = redis.call('ZREM', KEYS[i], socket)
    if redis.call('ZCARD', KEYS[i]) > 0 then
      results[i - 1] = 0
    else
      redis.call('ZREM', KEYS[1], user)
      results[i - 1] = removed
    end
  end
end
if added then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return results`;

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
  presenceChange(numberOfKeys: number, ...keysAndArgs: (string | number)[]): Promise<number[]>;
  presenceRefresh(numberOfKeys: number, ...keysAndArgs: (string | number)[]): Promise<string[]>;
}

/** Declares the presence scripts on the connections; give it as `prepare` to their `LazyRedisConnections`. */
export function definePresenceCommands({ clients: [client] }: RedisConnections): void {
  client.defineCommand('presenceChange', { lua: CHANGE });
  client.defineCommand('presenceRefresh', { lua: REFRESH });
}

const commands = (client: RedisClient) => client as RedisClient & PresenceCommands;

/** Entries per REFRESH or CHANGE call: a few milliseconds of Redis time each. */
const BATCH_SIZE = 500;

// Presence goes to Redis at most once per this window: a change after a quiet spell at once, and those
// that come while the window is open together at its end. On a busy instance each write to Redis costs
// more than the script's work (bench bigRoom, two instances, 1,000 users, one core for both and Redis:
// CPU per connection 1.43 ms with a 5 ms delay, 1.15 ms with this window, 0.97 for raw socket.io).
const CHANGE_WINDOW_MS = 50;

/** An add or remove waiting for the next script call of its scope. */
interface QueuedChange {
  change: '+' | '-';
  entry: PresenceEntry;
  resolve: (last: boolean) => void;
  reject: (error: Error) => void;
}

/**
 * Presence shared by every instance, on connections prepared with {@link definePresenceCommands}. Each (scope, user) is a sorted set of sockets scored by when
 * they lapse, and each scope has a sorted set of its users: `has` is one ZCOUNT, `users` one range,
 * and a dead instance's sockets lapse `ttlMs` after its last heartbeat, when the next heartbeat of
 * an instance watching the scope removes and reports them.
 */
export class RedisPresenceStore implements PresenceStore {
  /** Adds and removes waiting for the next flush, by scope, in the order they came. */
  private queued = new Map<string, QueuedChange[]>();
  /** When the last flush went, by `performance.now()`. */
  private lastFlush = -Infinity;
  /**
   * For each refresh running, the entries removed since its snapshot was taken: its later script calls
   * must not put them back (a heartbeat's calls go one after the other, removes may come in between).
   */
  private readonly removedDuringRefresh = new Set<Set<string>>();

  constructor(
    private readonly redis: LazyRedisConnections,
    private readonly keyPrefix: string,
    private readonly ttlMs: number,
  ) {}

  add(entry: PresenceEntry): Promise<boolean> {
    return this.queue('+', entry);
  }

  remove(entry: PresenceEntry): Promise<boolean> {
    return this.queue('-', entry);
  }

  async refresh(entries: PresenceEntry[], watched: string[] = []): Promise<LapsedPresence[]> {
    const removed = new Set<string>();
    this.removedDuringRefresh.add(removed);
    try {
      return await this.redis.run((client) => this.refreshOn(client, entries, watched, removed));
    } finally {
      this.removedDuringRefresh.delete(removed);
    }
  }

  private async refreshOn(
    client: RedisClient,
    entries: PresenceEntry[],
    watched: string[],
    removed: Set<string>,
  ): Promise<LapsedPresence[]> {
    const now = Date.now();
    const lapsed: LapsedPresence[] = [];
    for (const [scope, scoped] of groupByScope(entries, watched)) {
      // One script call per batch, one after the other: Redis stays free for the pub/sub traffic of the
      // other instances and this event loop for its sockets, however many entries there are.
      for (let start = 0; start === 0 || start < scoped.length; start += BATCH_SIZE) {
        const batch = scoped.slice(start, start + BATCH_SIZE).filter((entry) => !removed.has(entryKey(entry)));
        const keys = [this.usersKey(scope), ...batch.map((entry) => this.socketsKey(scope, entry.userId))];
        const args = [now, this.ttlMs, ...batch.flatMap((entry) => [entry.socket, entry.userId])];
        const userIds = await commands(client).presenceRefresh(keys.length, ...keys, ...args);
        userIds.forEach((userId) => lapsed.push({ scope, userId }));
      }
    }
    return lapsed;
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

  /**
   * Sockets arriving together (a burst of connections, `joinUser` of many users, a reconnect storm after
   * a deploy) cost one script call per scope and one write to Redis per `CHANGE_WINDOW_MS`, not one each.
   */
  private queue(change: '+' | '-', entry: PresenceEntry): Promise<boolean> {
    if (change === '-') this.removedDuringRefresh.forEach((removed) => removed.add(entryKey(entry)));
    return new Promise((resolve, reject) => {
      if (this.queued.size === 0) {
        const wait = this.lastFlush + CHANGE_WINDOW_MS - performance.now();
        if (wait > 0) setTimeout(() => this.flush(), wait);
        else setImmediate(() => this.flush()); // the other changes of this turn go with it
      }
      const scoped = this.queued.get(entry.scope);
      const queued = { change, entry, resolve, reject };
      if (scoped) scoped.push(queued);
      else this.queued.set(entry.scope, [queued]);
    });
  }

  private flush(): void {
    this.lastFlush = performance.now();
    const queued = this.queued;
    this.queued = new Map();
    for (const [scope, changes] of queued) {
      for (let start = 0; start < changes.length; start += BATCH_SIZE) this.apply(scope, changes.slice(start, start + BATCH_SIZE));
    }
  }

  /** One script call for changes of one scope; calls of a scope run in order on the one connection. */
  private apply(scope: string, changes: QueuedChange[]): void {
    const keys = [this.usersKey(scope), ...changes.map(({ entry }) => this.socketsKey(scope, entry.userId))];
    const args = [Date.now(), this.ttlMs, ...changes.flatMap(({ change, entry }) => [change, entry.socket, entry.userId])];
    this.redis
      .run((client) => commands(client).presenceChange(keys.length, ...keys, ...args))
      .then(
        (results) => changes.forEach(({ resolve }, i) => resolve(results[i] === 1)),
        (error: Error) => changes.forEach(({ reject }) => reject(error)),
      );
  }

  // The {hash tag} puts a scope's keys in one slot of a Redis Cluster, as the scripts need.
  private socketsKey(scope: string, userId: string): string {
    return `{${this.keyPrefix}:presence:${scope}}:user:${userId}`;
  }

  private usersKey(scope: string): string {
    return `{${this.keyPrefix}:presence:${scope}}:users`;
  }
}

/** An entry's identity: a socket in a scope. */
function entryKey({ scope, socket }: PresenceEntry): string {
  return `${scope} ${socket}`;
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
