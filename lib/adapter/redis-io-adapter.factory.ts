import { Inject, Injectable, type INestApplication } from '@nestjs/common';
import type { ResolvedRealtimeOptions } from '../realtime-options.interface.js';
import { REALTIME_OPTIONS } from '../realtime.constants.js';
import { RedisIoAdapter } from './redis-io.adapter.js';

/** Builds the app's {@link RedisIoAdapter} from the module options. */
@Injectable()
export class RedisIoAdapterFactory {
  constructor(@Inject(REALTIME_OPTIONS) private readonly options: ResolvedRealtimeOptions) {}

  /**
   * Resolves once Redis pub and sub are connected (at once without `redis` options); rejects within a
   * few seconds with an error naming the URL when Redis is unreachable.
   * @example app.useWebSocketAdapter(await app.get(RedisIoAdapterFactory).create(app));
   */
  async create(app: INestApplication): Promise<RedisIoAdapter> {
    const adapter = new RedisIoAdapter(app, this.options);
    await adapter.connectToRedis();
    return adapter;
  }
}
