// Module
export { RealtimeModule } from './realtime.module.js';
export { REALTIME_OPTIONS } from './realtime.constants.js';
export type {
  RealtimeAuthOptions,
  RealtimeModuleOptions,
  RealtimeOptionsFactory,
  RealtimePresenceOptions,
  RealtimeRateLimitOptions,
  RealtimeRedisOptions,
} from './realtime-options.interface.js';

// Adapter
export { RedisIoAdapter } from './adapter/redis-io.adapter.js';
export { RedisIoAdapterFactory } from './adapter/redis-io-adapter.factory.js';

// Errors
export { InvalidRealtimeOptionsError } from './errors/invalid-realtime-options.error.js';
export { RedisConnectionError } from './errors/redis-connection.error.js';
export { RedisNotConnectedError } from './errors/redis-not-connected.error.js';
