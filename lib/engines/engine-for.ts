import type { ResolvedRealtimeOptions, ResolvedRedisOptions } from '../realtime-options.interface.js';
import { pubSubEngine } from './pubsub.engine.js';
import type { RealtimeEngine } from './realtime-engine.interface.js';
import { streamsEngine } from './streams.engine.js';

/** The engine the options ask for: Redis Streams with `recovery`, pub/sub otherwise. The only place that chooses one. */
export function engineFor(_redis: ResolvedRedisOptions, recovery: ResolvedRealtimeOptions['recovery']): RealtimeEngine {
  return recovery ? streamsEngine(recovery) : pubSubEngine;
}
