import { Controller, Sse, type MessageEvent } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { get, type IncomingMessage } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { interval, map, type Observable } from 'rxjs';
import { RealtimeModule, RedisIoAdapterFactory } from '../../lib/index.js';
import { connectClient } from '../../lib/testing/index.js';
import { nextEvent } from '../utils/events.js';
import { hostModule } from '../utils/test-bed.js';
import { EchoGateway } from './echo.gateway.js';

@Controller()
class TickController {
  @Sse('ticks')
  ticks(): Observable<MessageEvent> {
    return interval(50).pipe(map((n) => ({ data: { n } })));
  }
}

// Nest's own websockets test "should shutdown application immediately when forceCloseConnections is true".
describe('app.close() with forceCloseConnections', () => {
  it("returns promptly with an open SSE response, as with Nest's IoAdapter, and disconnects the sockets", async () => {
    const module = hostModule({ imports: [RealtimeModule.forRoot({})], controllers: [TickController], providers: [EchoGateway] });
    const app = await NestFactory.create(module, { logger: false, forceCloseConnections: true });
    app.useWebSocketAdapter(await app.get(RedisIoAdapterFactory).create(app));
    await app.listen(0, '127.0.0.1');
    const client = await connectClient(app);
    const { port } = app.getHttpServer().address() as AddressInfo;
    const sse = await new Promise<IncomingMessage>((resolve) => get(`http://127.0.0.1:${port}/ticks`, resolve));
    await once(sse, 'data');
    try {
      const disconnected = nextEvent(client, 'disconnect');
      const closed = app.close().then(() => 'closed');
      // socket.io's own close() waits for the SSE response, which would never end by itself.
      const waited = new Promise((resolve) => setTimeout(() => resolve('still waiting after 5 s'), 5000).unref());

      expect(await Promise.race([closed, waited])).toBe('closed');
      expect(await disconnected).toBe('transport close');
    } finally {
      sse.destroy();
      client.close();
    }
  });
});
