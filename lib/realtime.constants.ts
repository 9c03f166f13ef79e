/** DI token of the validated {@link RealtimeModuleOptions} given to `RealtimeModule.forRoot()`. */
export const REALTIME_OPTIONS = Symbol('REALTIME_OPTIONS');

/** Prefix of every Redis channel and key the library uses, unless `redis.keyPrefix` says otherwise. */
export const DEFAULT_KEY_PREFIX = 'realtime';

/** How long cluster-wide requests (fetchSockets, acks) wait for other instances, in ms. */
export const DEFAULT_REQUESTS_TIMEOUT_MS = 5000;

/** How long `connectToRedis()` waits for pub and sub to be ready before it gives up, in ms. */
export const REDIS_CONNECT_TIMEOUT_MS = 5000;

/** How long a socket whose token expired may take to send `auth:refresh`, in ms. */
export const DEFAULT_EXPIRY_GRACE_MS = 30_000;

/** Per-socket flood control unless `rateLimit` says otherwise: 100 events a second. */
export const DEFAULT_RATE_LIMIT = { points: 100, durationMs: 1000 };

/** Sent to a socket whose token expired; it has the grace period to send {@link AUTH_REFRESH_EVENT}. */
export const AUTH_EXPIRED_EVENT = 'auth:expired';

/** Sent by a client with `{ token }` to replace an expiring token; acked `{ status: 'ok' }`. */
export const AUTH_REFRESH_EVENT = 'auth:refresh';

/** Metadata key of `@WsAuth()` options. */
export const WS_AUTH_METADATA = 'nestjs-realtime:ws-auth';

/** Sent by a client with `{ room }` and an ack to join a room (with `rooms.authorize`). */
export const ROOM_JOIN_EVENT = 'room:join';

/** Sent by a client with `{ room }` and an ack to leave a room. */
export const ROOM_LEAVE_EVENT = 'room:leave';

/** The shortest `presence.ttlMs` accepted: each instance writes its presence every third of it. */
export const MIN_PRESENCE_TTL_MS = 1000;

/** How long a dead instance's users stay online at most, unless `presence.ttlMs` says otherwise. */
export const DEFAULT_PRESENCE_TTL_MS = 30_000;

/** How often at most a room's members get a `presence:diff`, unless `presence.diffIntervalMs` says otherwise. */
export const DEFAULT_PRESENCE_DIFF_INTERVAL_MS = 100;

/** Sent to a room's members at most every `presence.diffIntervalMs`: `{ room, joined, left }` (user ids). */
export const PRESENCE_DIFF_EVENT = 'presence:diff';

/** With `presence.roomEvents: 'each'`, sent to a room's members when a user's first socket enters it: `{ room, userId }`. */
export const PRESENCE_JOIN_EVENT = 'presence:join';

/** With `presence.roomEvents: 'each'`, sent to a room's members when a user's last socket leaves it: `{ room, userId }`. */
export const PRESENCE_LEAVE_EVENT = 'presence:leave';

/** Prefix of the room every socket of a user joins at the handshake; clients can never join one. */
export const USER_ROOM_PREFIX = 'user:';

/** The room of every socket of the user, on every instance: `user:<id>`. */
export function userRoom(userId: string): string {
  return `${USER_ROOM_PREFIX}${userId}`;
}

/** `recovery: true` (or an object leaving them out) means these. */
export const DEFAULT_RECOVERY = {
  maxDisconnectionMs: 120_000,
  streamMaxLength: 100_000,
  bufferMaxMessages: 10_000,
  bufferMaxAgeMs: 30_000,
};

/** The smallest accepted `recovery` limits. */
export const MIN_RECOVERY = { maxDisconnectionMs: 1000, streamMaxLength: 1000 };

/**
 * Sent after `connect` to a client whose recovery failed, `{ reason }`: it missed messages and should
 * reload its state.
 */
export const RESYNC_EVENT = 'realtime:resync';

/**
 * Sent once to a new socket with recovery on: the stream position it starts from, which socket.io-client
 * keeps as its offset (it reads the last string argument of any event), so that it can recover even
 * if it received nothing before its connection dropped.
 */
export const OFFSET_EVENT = 'realtime:offset';
