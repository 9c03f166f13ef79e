import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { RedisIoAdapterFactory } from 'nestjs-realtime';
import { connectClient } from 'nestjs-realtime/testing';
import type { Socket } from 'socket.io-client';
import { testRedis } from '../../../test/utils/redis-server.js';
import { AppModule } from './app.module.js';
import type { ChatMessage } from './chat.gateway.js';

// The example's own tests, written as a host app would write them with nestjs-realtime/testing.
describe('example chat', () => {
  const apps: INestApplication[] = [];
  const sockets: Socket[] = [];

  async function startExample(redisUrl?: string): Promise<INestApplication> {
    if (redisUrl) process.env.WS_REDIS_URL = redisUrl;
    else delete process.env.WS_REDIS_URL;
    const app = await NestFactory.create(AppModule, { logger: false, abortOnError: false });
    apps.push(app);
    app.useWebSocketAdapter(await app.get(RedisIoAdapterFactory).create(app));
    await app.listen(0, '127.0.0.1');
    return app;
  }

  async function join(app: INestApplication): Promise<Socket> {
    const socket = await connectClient(app, { namespace: '/chat' });
    sockets.push(socket);
    return socket;
  }

  const nextMessage = (socket: Socket) => new Promise<ChatMessage>((resolve) => socket.once('chat:message', resolve));

  afterEach(async () => {
    sockets.splice(0).forEach((socket) => socket.close());
    for (const app of apps.splice(0)) await app.close();
    delete process.env.WS_REDIS_URL;
  });

  it('relays a message to everyone, with no Redis configured', async () => {
    const app = await startExample();
    const [alice, bob] = [await join(app), await join(app)];
    const received = nextMessage(bob);

    expect(await alice.emitWithAck('chat:send', { name: 'alice', text: 'hi bob' })).toEqual({ status: 'ok' });
    expect(await received).toEqual({ name: 'alice', text: 'hi bob', at: expect.any(String) });
  });

  it('spans two instances when given WS_REDIS_URL', async () => {
    const redis = await testRedis();
    try {
      const [one, two] = [await startExample(redis.url), await startExample(redis.url)];
      const [alice, bob] = [await join(one), await join(two)];
      const received = nextMessage(bob);

      await alice.emitWithAck('chat:send', { name: 'alice', text: 'across instances' });

      expect((await received).text).toBe('across instances');
    } finally {
      for (const app of apps.splice(0)) await app.close();
      await redis.stop();
    }
  });
});
