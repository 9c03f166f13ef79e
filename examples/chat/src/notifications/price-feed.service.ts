import { Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { WebsocketBroadcastService } from 'nestjs-realtime';

const TICK_MS = 2000;

/**
 * A live feed pushed from a provider through `broadcast`. The price is derived from the clock, so
 * several instances ticking at once agree on it.
 */
@Injectable()
export class PriceFeedService implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer?: NodeJS.Timeout;

  constructor(private readonly broadcast: WebsocketBroadcastService) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.tick(), TICK_MS);
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  private async tick(): Promise<void> {
    const step = Math.floor(Date.now() / TICK_MS);
    const price = (100 + 5 * Math.sin(step / 7) + ((step * 7919) % 100) / 100).toFixed(2);
    await this.broadcast.broadcast('price', { symbol: 'NRT', price }, { namespace: '/notifications' });
  }
}
