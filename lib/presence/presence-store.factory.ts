import { LazyRedisConnections } from '../redis/lazy-redis-connections.js';
import type { ResolvedRealtimeOptions } from '../realtime-options.interface.js';
import type { RealtimeServerRegistry } from '../realtime-server.registry.js';
import { MemoryPresenceStore } from './memory-presence.store.js';
import type { PresenceStore } from './presence-store.interface.js';
import { definePresenceCommands, RedisPresenceStore } from './redis-presence.store.js';

/** Redis presence when the app scales out over Redis, memory otherwise. Connects on first use. */
export function createPresenceStore(options: ResolvedRealtimeOptions, registry: RealtimeServerRegistry): PresenceStore {
  if (!options.redis || options.presence === false) return new MemoryPresenceStore();
  // A rush of connections writes presence in many small scripts: let those of one tick share a write.
  const purpose = { names: ['presence'], whileDown: 'presence is not updated until it returns', autoPipelining: true };
  return new RedisPresenceStore(
    new LazyRedisConnections(options.redis, purpose, (connections) => {
      definePresenceCommands(connections);
      registry.trackRedis(connections);
    }),
    options.redis.keyPrefix,
    options.presence.ttlMs,
  );
}
