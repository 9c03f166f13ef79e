import type { Cluster, Redis } from 'ioredis';
import type { JwtPayload } from 'jsonwebtoken';
import type { ServerOptions, Socket } from 'socket.io';

/** Scale-out over Redis. Leave it out to run one instance on socket.io's in-memory adapter. */
export interface RealtimeRedisOptions {
  /** Redis URL, e.g. `redis://localhost:6379` or `rediss://user:pass@host:6380/0`. Give this, `nodes` or `client`. */
  url?: string;
  /** A Redis Cluster's startup nodes, e.g. `[{ host: '10.0.0.1', port: 6379 }]`. Give this, `url` or `client`. */
  nodes?: RedisClusterNode[];
  /**
   * An existing ioredis client or Cluster. It is duplicated for pub/sub and never closed by the library.
   * Give this, `url` or `nodes`.
   */
  client?: Redis | Cluster;
  /**
   * How instances reach each other: `'pubsub'` (PUBLISH, which a Redis Cluster copies to every node) or
   * `'sharded'` (Redis 7 sharded pub/sub, SPUBLISH: each channel lives on one shard, so a Cluster's
   * publish capacity grows with its masters). Not with `recovery` yet.
   * @default 'pubsub'
   */
  mode?: 'pubsub' | 'sharded';
  /**
   * Prefix of every Redis channel and key; instances hear each other only when it is the same.
   * @default 'realtime'
   */
  keyPrefix?: string;
  /**
   * How long cluster-wide requests (fetchSockets, acks) wait for the other instances, in ms.
   * @default 5000
   */
  requestsTimeout?: number;
}

/** One startup node of a Redis Cluster. */
export interface RedisClusterNode {
  host: string;
  port: number;
}

/** Handshake JWT authentication. */
export interface RealtimeAuthOptions {
  /** Shared secret for HS256/HS384/HS512 tokens. Give this or `publicKey`. */
  secret?: string | Buffer;
  /** PEM public key for RS*, PS*, ES* or EdDSA tokens. Give this or `secret`. */
  publicKey?: string | Buffer;
  /**
   * Accepted signing algorithms; `none` is never accepted.
   * @default ['HS256'] with `secret`, ['RS256'] with `publicKey`
   */
  algorithms?: string[];
  /** Required `iss` claim. */
  issuer?: string;
  /** Required `aud` claim (any of them). */
  audience?: string | string[];
  /**
   * Seconds of clock skew tolerated on `exp` and `nbf`.
   * @default 0
   */
  clockTolerance?: number;
  /**
   * Refuse connections without a valid token. With `false`, anonymous sockets connect and
   * `@WsAuth()` refuses their messages.
   * @default true
   */
  required?: boolean;
  /**
   * Maps the verified payload to the user stored in `socket.data.user` (may return a promise); a falsy
   * result refuses the socket.
   */
  validate?: (payload: JwtPayload) => unknown;
  /**
   * How long a socket whose token expired may take to send `auth:refresh { token }` before it is
   * disconnected, in ms.
   * @default 30000
   */
  expiryGraceMs?: number;
  /**
   * The user's id, used for the room `user:<id>` and presence.
   * @default (user) => user.sub ?? user.id
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the user is the app's own type
  userId?: (user: any) => string;
}

/** Per-socket flood control over all incoming events. */
export interface RealtimeRateLimitOptions {
  /** Events a socket may send per window. */
  points: number;
  /** Window length in ms. */
  durationMs: number;
}

/** Client-driven room joins: giving `authorize` turns on the `room:join` / `room:leave` events. */
export interface RealtimeRoomsOptions {
  /**
   * Whether this user may join this room (`user:*` rooms never can). Resolving anything but `true`,
   * or throwing, refuses with `FORBIDDEN`.
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the user is the app's own type
  authorize: (user: any, room: string, client: Socket) => boolean | Promise<boolean>;
}

/**
 * How a room's members hear that a user entered or left it: `'diff'`, one `presence:diff`
 * `{ room, joined, left }` per room at most every `diffIntervalMs`; `'each'`, `presence:join` /
 * `presence:leave` `{ room, userId }` per user (N users entering one room send about N²/2 events);
 * `false`, none (presence is still kept: `onlineIn()` answers).
 */
export type PresenceRoomEvents = 'diff' | 'each' | false;

/** Cluster-wide presence. */
export interface RealtimePresenceOptions {
  /**
   * How long a dead instance's users stay online at most, in ms; at least 1000.
   * @default 30000
   */
  ttlMs?: number;
  /**
   * How room members hear of arrivals and departures, for every room or chosen per room,
   * e.g. `(room) => (room.startsWith('live:') ? false : 'diff')`.
   * @default 'diff'
   */
  roomEvents?: PresenceRoomEvents | ((room: string) => PresenceRoomEvents);
  /**
   * The shortest time between two `presence:diff` of one room, in ms.
   * @default 100
   */
  diffIntervalMs?: number;
}

/**
 * Connection state recovery: a client that reconnects within the window, to any instance, gets its
 * socket back (`socket.recovered`, same id, rooms and data) and every message it missed, in order, once.
 */
export interface RealtimeRecoveryOptions {
  /**
   * How long a disconnected client's session and missed messages are kept, in ms; at least 1000.
   * @default 120000
   */
  maxDisconnectionMs?: number;
  /**
   * With Redis: the messages kept in the stream for clients to catch up from, trimmed to about this
   * many (`XADD MAXLEN ~`, oldest first); at least 1000. Keep the window's worth of traffic.
   * @default 100000
   */
  streamMaxLength?: number;
  /**
   * With Redis: how many messages sent while Redis is down each process keeps, to write them in order
   * when it returns. Past it, the oldest are dropped and their recipients get `realtime:resync`.
   * @default 10000
   */
  bufferMaxMessages?: number;
  /**
   * With Redis: how long a message sent while Redis is down is kept for it, in ms; older ones are dropped.
   * @default 30000
   */
  bufferMaxAgeMs?: number;
}

/** Options of `RealtimeModule.forRoot()` / `forRootAsync()`. */
export interface RealtimeModuleOptions {
  /** Scale-out over Redis. Absent: in-memory adapter, one instance, no Redis needed. */
  redis?: RealtimeRedisOptions;
  /** Handshake JWT authentication. Absent: no authentication. */
  auth?: RealtimeAuthOptions;
  /** socket.io CORS options for every gateway, so gateways need no static `cors`; `true` allows any origin (`{ origin: '*' }`). */
  cors?: ServerOptions['cors'] | boolean;
  /**
   * The socket.io endpoint path.
   * @default '/socket.io'
   */
  path?: string;
  /**
   * Allowed transports, in the order tried.
   * @default ['polling', 'websocket']
   */
  transports?: ('websocket' | 'polling')[];
  /**
   * Interval between server pings, in ms.
   * @default 25000
   */
  pingInterval?: number;
  /**
   * How long to wait for a pong before closing the connection, in ms.
   * @default 20000
   */
  pingTimeout?: number;
  /**
   * Largest accepted message, in bytes; a larger one closes only that socket.
   * @default 1000000
   */
  maxHttpBufferSize?: number;
  /** Client-driven room joins with `room:join` / `room:leave`. Absent: clients cannot join rooms themselves. */
  rooms?: RealtimeRoomsOptions;
  /**
   * Per-socket flood control over all events; `false` turns it off.
   * @default { points: 100, durationMs: 1000 }
   */
  rateLimit?: RealtimeRateLimitOptions | false;
  /** Cluster-wide presence; `false` turns it off. */
  presence?: RealtimePresenceOptions | false;
  /**
   * The port of the gateways that set none in their decorator (their own HTTP server), e.g. from
   * `WS_PORT`. Absent: they share the app's HTTP server. A gateway's own port wins.
   */
  port?: number;
  /**
   * The namespace service calls (`sendToUser`, `members`, ...) go to when they name none.
   * @default '/'
   */
  namespace?: string;
  /**
   * Connection state recovery (see "Delivery guarantees" in the README); `true` takes the defaults.
   * Absent or `false`: delivery is at most once.
   */
  recovery?: RealtimeRecoveryOptions | boolean;
  /**
   * The WebSocket server under socket.io: `'ws'` (socket.io's own) or `'cws'` (`@encharm/cws`, native;
   * install it next to the library). When cWS cannot be loaded, the server runs on `ws` and one log
   * line says why. See "WebSocket engine" in the README.
   * @default 'ws'
   */
  engine?: RealtimeEngine;
}

/** The WebSocket server under socket.io. */
export type RealtimeEngine = 'ws' | 'cws';

/** What a `useClass` / `useExisting` provider of `RealtimeModule.forRootAsync()` implements. */
export interface RealtimeOptionsFactory {
  createRealtimeOptions(): RealtimeModuleOptions | Promise<RealtimeModuleOptions>;
}

/** `redis` with its defaults filled in. */
export type ResolvedRedisOptions = RealtimeRedisOptions & Required<Pick<RealtimeRedisOptions, 'keyPrefix' | 'requestsTimeout' | 'mode'>>;

/** `auth` with its defaults filled in. */
export type ResolvedAuthOptions = RealtimeAuthOptions &
  Required<Pick<RealtimeAuthOptions, 'algorithms' | 'clockTolerance' | 'required' | 'expiryGraceMs'>>;

/**
 * The module options once validated, every default filled in: what the `REALTIME_OPTIONS` token
 * provides and what every part of the library reads.
 */
export interface ResolvedRealtimeOptions extends Omit<
  RealtimeModuleOptions,
  'redis' | 'auth' | 'rateLimit' | 'presence' | 'cors' | 'namespace' | 'recovery'
> {
  cors?: ServerOptions['cors'];
  namespace: string;
  redis?: ResolvedRedisOptions;
  auth?: ResolvedAuthOptions;
  rateLimit: RealtimeRateLimitOptions | false;
  presence: Required<RealtimePresenceOptions> | false;
  recovery: Required<RealtimeRecoveryOptions> | false;
}
