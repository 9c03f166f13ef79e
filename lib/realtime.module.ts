import { Module, type DynamicModule } from '@nestjs/common';
import { RealtimeServerRegistry } from './realtime-server.registry.js';
import { RedisIoAdapterFactory } from './adapter/redis-io-adapter.factory.js';
import { WebsocketBroadcastService } from './broadcast/websocket-broadcast.service.js';
import { RoomService } from './rooms/room.service.js';
import { createPresenceStore } from './presence/presence-store.factory.js';
import { PresenceStore } from './presence/presence-store.interface.js';
import { PresenceService } from './presence/presence.service.js';
import { REALTIME_OPTIONS } from './realtime.constants.js';
import { ConfigurableRealtimeModule, RAW_REALTIME_OPTIONS, type RealtimeModuleForRootOptions } from './realtime.module-definition.js';
import { resolveRealtimeOptions } from './realtime-options.resolve.js';
import { RealtimeTelemetry, telemetry } from './observability/realtime-telemetry.js';

/**
 * Turns a Nest app into a horizontally scalable socket.io server. Global by default.
 * @example RealtimeModule.forRoot({ redis: { url: 'redis://localhost:6379' }, auth: { secret } })
 */
@Module({
  providers: [
    { provide: REALTIME_OPTIONS, useFactory: resolveRealtimeOptions, inject: [RAW_REALTIME_OPTIONS] },
    RealtimeServerRegistry,
    RedisIoAdapterFactory,
    RoomService,
    WebsocketBroadcastService,
    { provide: PresenceStore, useFactory: createPresenceStore, inject: [REALTIME_OPTIONS, RealtimeServerRegistry] },
    PresenceService,
    // the OpenTelemetry API, when installed, is loaded before any server exists
    { provide: RealtimeTelemetry, useFactory: () => telemetry.load().then(() => telemetry) },
  ],
  // the registry: for RealtimeHealthModule (nestjs-realtime/terminus)
  exports: [REALTIME_OPTIONS, RedisIoAdapterFactory, RoomService, WebsocketBroadcastService, PresenceService, RealtimeServerRegistry],
})
export class RealtimeModule extends ConfigurableRealtimeModule {
  /**
   * The module with these options; with none, one instance on socket.io's in-memory adapter, no
   * Redis and no authentication.
   */
  static override forRoot(options: RealtimeModuleForRootOptions = {}): DynamicModule {
    return super.forRoot(options);
  }
}
