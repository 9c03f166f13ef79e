import { Module } from '@nestjs/common';
import { RedisIoAdapterFactory } from './adapter/redis-io-adapter.factory.js';
import { REALTIME_OPTIONS } from './realtime.constants.js';
import { ConfigurableRealtimeModule, RAW_REALTIME_OPTIONS } from './realtime.module-definition.js';
import { validateRealtimeOptions } from './realtime-options.validation.js';

/**
 * Turns a Nest app into a horizontally scalable socket.io server. Global by default.
 * @example RealtimeModule.forRoot({ redis: { url: 'redis://localhost:6379' }, auth: { secret } })
 */
@Module({
  providers: [
    { provide: REALTIME_OPTIONS, useFactory: validateRealtimeOptions, inject: [RAW_REALTIME_OPTIONS] },
    RedisIoAdapterFactory,
  ],
  exports: [REALTIME_OPTIONS, RedisIoAdapterFactory],
})
export class RealtimeModule extends ConfigurableRealtimeModule {}
