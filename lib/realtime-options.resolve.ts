import type {
  RealtimeAuthOptions,
  RealtimePresenceOptions,
  RealtimeRecoveryOptions,
  RealtimeRedisOptions,
  ResolvedAuthOptions,
  ResolvedRealtimeOptions,
  ResolvedRedisOptions,
} from './realtime-options.interface.js';
import { validateRealtimeOptions } from './realtime-options.validation.js';
import {
  DEFAULT_EXPIRY_GRACE_MS,
  DEFAULT_KEY_PREFIX,
  DEFAULT_PRESENCE_DIFF_INTERVAL_MS,
  DEFAULT_PRESENCE_TTL_MS,
  DEFAULT_RECOVERY,
  DEFAULT_RATE_LIMIT,
  DEFAULT_REQUESTS_TIMEOUT_MS,
} from './realtime.constants.js';

const resolved = new WeakSet<object>();

/**
 * Validates the options (throwing `InvalidRealtimeOptionsError`) and fills in every default, once:
 * options it resolved before are returned as they are.
 */
export function resolveRealtimeOptions(options: unknown): ResolvedRealtimeOptions {
  if (typeof options === 'object' && options !== null && resolved.has(options)) return options as ResolvedRealtimeOptions;
  const { redis, auth, rateLimit, presence, cors, namespace, recovery, ...rest } = validateRealtimeOptions(options);
  const result: ResolvedRealtimeOptions = {
    ...rest,
    // `cors: true` means what it means to socket.io (the cors package's defaults): any origin.
    ...(cors && { cors: cors === true ? { origin: '*' } : cors }),
    ...(redis && { redis: resolveRedis(redis) }),
    ...(auth && { auth: resolveAuth(auth) }),
    rateLimit: rateLimit ?? DEFAULT_RATE_LIMIT,
    namespace: namespace ?? '/',
    presence: presence === false ? false : resolvePresence(presence),
    recovery: recovery === undefined || recovery === false ? false : resolveRecovery(recovery === true ? {} : recovery),
  };
  resolved.add(result);
  return result;
}

function resolveRedis(redis: RealtimeRedisOptions): ResolvedRedisOptions {
  return {
    ...redis,
    keyPrefix: redis.keyPrefix ?? DEFAULT_KEY_PREFIX,
    requestsTimeout: redis.requestsTimeout ?? DEFAULT_REQUESTS_TIMEOUT_MS,
    mode: redis.mode ?? 'pubsub',
  };
}

function resolveAuth(auth: RealtimeAuthOptions): ResolvedAuthOptions {
  return {
    ...auth,
    algorithms: auth.algorithms ?? [auth.secret !== undefined ? 'HS256' : 'RS256'],
    clockTolerance: auth.clockTolerance ?? 0,
    required: auth.required ?? true,
    expiryGraceMs: auth.expiryGraceMs ?? DEFAULT_EXPIRY_GRACE_MS,
  };
}

function resolvePresence(presence: RealtimePresenceOptions = {}): Required<RealtimePresenceOptions> {
  return {
    ttlMs: presence.ttlMs ?? DEFAULT_PRESENCE_TTL_MS,
    roomEvents: presence.roomEvents ?? 'diff',
    diffIntervalMs: presence.diffIntervalMs ?? DEFAULT_PRESENCE_DIFF_INTERVAL_MS,
  };
}

function resolveRecovery(recovery: RealtimeRecoveryOptions): Required<RealtimeRecoveryOptions> {
  return {
    maxDisconnectionMs: recovery.maxDisconnectionMs ?? DEFAULT_RECOVERY.maxDisconnectionMs,
    streamMaxLength: recovery.streamMaxLength ?? DEFAULT_RECOVERY.streamMaxLength,
    bufferMaxMessages: recovery.bufferMaxMessages ?? DEFAULT_RECOVERY.bufferMaxMessages,
    bufferMaxAgeMs: recovery.bufferMaxAgeMs ?? DEFAULT_RECOVERY.bufferMaxAgeMs,
  };
}
