/** DI token of the validated {@link RealtimeModuleOptions} given to `RealtimeModule.forRoot()`. */
export const REALTIME_OPTIONS = Symbol('REALTIME_OPTIONS');

/** Prefix of every Redis channel and key the library uses, unless `redis.keyPrefix` says otherwise. */
export const DEFAULT_KEY_PREFIX = 'realtime';

/** How long cluster-wide requests (fetchSockets, acks) wait for other instances, in ms. */
export const DEFAULT_REQUESTS_TIMEOUT_MS = 5000;

/** How long `connectToRedis()` waits for pub and sub to be ready before it gives up, in ms. */
export const REDIS_CONNECT_TIMEOUT_MS = 5000;
