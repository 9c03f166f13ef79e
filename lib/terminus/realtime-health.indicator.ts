import { Injectable } from '@nestjs/common';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import { RealtimeServerRegistry } from '../realtime-server.registry.js';

/**
 * The realtime layer of this instance for `@nestjs/terminus`: up when a socket.io server exists and
 * every Redis connection the library opened is ready; down with the reason (which connection, since
 * when) otherwise. Both carry `sockets`, the sockets connected to this instance.
 * @example this.health.check([() => this.realtime.isHealthy()])
 */
@Injectable()
export class RealtimeHealthIndicator {
  constructor(
    private readonly health: HealthIndicatorService,
    private readonly registry: RealtimeServerRegistry,
  ) {}

  isHealthy<const Key extends string = 'realtime'>(key: Key = 'realtime' as Key): HealthIndicatorResult<Key> {
    const indicator = this.health.check(key);
    const sockets = this.registry.namespaces.reduce((count, namespace) => count + namespace.sockets.size, 0);
    if (!this.registry.server) {
      return indicator.down({
        reason: 'No socket.io server in this process: no gateway, or the app does not use RedisIoAdapterFactory.',
        sockets,
      });
    }
    const down = this.registry.redisStates.filter((state) => !state.ready);
    if (down.length === 0) return indicator.up({ sockets });
    const reason = down.map(
      ({ connections, address, downSince }) => `Redis (${connections}) at ${address} down${downSince ? ` since ${downSince}` : ''}`,
    );
    return indicator.down({ reason: reason.join('; '), sockets });
  }
}
