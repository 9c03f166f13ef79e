import type { ResolvedRedisOptions } from '../realtime-options.interface.js';
import { pubSubEngine } from './pubsub.engine.js';
import type { RealtimeEngine } from './realtime-engine.interface.js';

/** The engine the `redis` options ask for; the only place that chooses one. */
export function engineFor(_options: ResolvedRedisOptions): RealtimeEngine {
  return pubSubEngine;
}
