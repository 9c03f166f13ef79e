import type { ResolvedRealtimeOptions, ResolvedRedisOptions } from '../realtime-options.interface.js';
import { pubSubEngine } from './pubsub.engine.js';
import type { RealtimeEngine } from './realtime-engine.interface.js';
import { shardedEngine } from './sharded.engine.js';
import { streamsEngine } from './streams.engine.js';

/**
 * The engine the options ask for: Redis Streams with `recovery`, sharded pub/sub with `redis.mode:
 * 'sharded'` (never both: the options refuse it), pub/sub otherwise. The only place that chooses one.
 */
export function engineFor(redis: ResolvedRedisOptions, recovery: ResolvedRealtimeOptions['recovery']): RealtimeEngine {
  if (recovery) return streamsEngine(recovery);
  return redis.mode === 'sharded' ? shardedEngine : pubSubEngine;
}
