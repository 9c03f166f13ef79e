import { NestFactory } from '@nestjs/core';
import { WebSocketGateway, WebSocketServer } from '@nestjs/websockets';
import { Redis } from 'ioredis';
import { Server, type Namespace } from 'socket.io';
import { RealtimeModule, RedisConnectionError, RedisIoAdapterFactory } from '../../lib/index.js';
import { nextEvent } from '../utils/events.js';
import { freePort, testRedis } from '../utils/redis-server.js';
import { hostModule, TestBed, uniquePrefix } from '../utils/test-bed.js';
import { EchoGateway } from './echo.gateway.js';

describe('RedisIoAdapterFactory and the app lifecycle', () => {
  let redis: Awaited<ReturnType<typeof testRedis>>;
  let admin: Redis;
  let bed: TestBed;

  beforeAll(async () => {
    redis = await testRedis();
    admin = new Redis(redis.url);
  });
  afterAll(async () => {
    await admin.quit();
    await redis.stop();
  });
  beforeEach(() => (bed = new TestBed()));
  afterEach(() => bed.close());

  async function connectionsNamed(prefix: string): Promise<string[]> {
    const list = (await admin.client('LIST')) as string;
    return [...list.matchAll(/ name=(\S+)/g)]
      .map((m) => m[1])
      .filter((name) => name.startsWith(`${prefix}:`))
      .sort();
  }

  it('rejects within a few seconds, naming the URL, when Redis is unreachable', async () => {
    const url = `redis://127.0.0.1:${await freePort()}`;
    const app = await NestFactory.create(hostModule({ imports: [RealtimeModule.forRoot({ redis: { url } })] }), { logger: false });
    bed.defer(() => app.close());
    const started = Date.now();

    const error = await app
      .get(RedisIoAdapterFactory)
      .create(app)
      .catch((e: Error) => e);

    expect(Date.now() - started).toBeLessThan(8000);
    expect(error).toBeInstanceOf(RedisConnectionError);
    expect((error as Error).message).toBe(
      `Could not connect to Redis at ${url} within 5000 ms: connect ECONNREFUSED ${url.slice('redis://'.length)}. ` +
        'Check that Redis is running there and that RealtimeModule option "redis" points to it.',
    );
  });

  it('uses a given ioredis client by duplicating it, and never closes it', async () => {
    const keyPrefix = uniquePrefix('client');
    const client = new Redis(redis.url);
    bed.defer(() => client.quit());
    const [byClient, byUrl] = [
      await bed.app({ options: { redis: { client, keyPrefix } }, providers: [EchoGateway] }),
      await bed.app({ options: { redis: { url: redis.url, keyPrefix } }, providers: [EchoGateway] }),
    ];
    const [sender, receiver] = await Promise.all([bed.client(byClient), bed.client(byUrl)]);
    const received = nextEvent(receiver, 'shout');
    sender.emit('shout', 'through a duplicated client');
    expect(await received).toBe('through a duplicated client');

    await byClient.close();

    expect(client.status).toBe('ready');
    expect(await client.ping()).toBe('PONG');
  });

  it('on app.close() disconnects every client and quits the Redis connections it opened', async () => {
    const keyPrefix = uniquePrefix('close');
    const app = await bed.app({ options: { redis: { url: redis.url, keyPrefix } }, providers: [EchoGateway] });
    const client = await bed.client(app);
    expect(await connectionsNamed(keyPrefix)).toEqual([`${keyPrefix}:pub`, `${keyPrefix}:sub`]);
    const disconnected = nextEvent(client, 'disconnect');

    await app.close();

    // not 'io server disconnect': on a transport close clients reconnect, to another instance in a rolling deploy
    expect(await disconnected).toBe('transport close');
    expect(await connectionsNamed(keyPrefix)).toEqual([]);
  });

  it('applies the module server options to every gateway (path, transports, cors, maxHttpBufferSize)', async () => {
    const options = {
      path: '/rt',
      transports: ['websocket' as const],
      cors: { origin: 'https://app.example.com' },
      maxHttpBufferSize: 1000,
    };
    const app = await bed.app({ options, providers: [EchoGateway] });
    const port = (app.getHttpServer().address() as { port: number }).port;

    const preflight = await fetch(`http://127.0.0.1:${port}/rt/?EIO=4&transport=polling`, {
      method: 'OPTIONS',
      headers: { Origin: 'https://app.example.com', 'Access-Control-Request-Method': 'GET' },
    });
    expect(preflight.headers.get('access-control-allow-origin')).toBe('https://app.example.com');

    const polling = await bed.client(app, { path: '/rt', transports: ['polling'] }).catch((e: Error) => e);
    expect(polling).toBeInstanceOf(Error);

    const client = await bed.client(app, { path: '/rt' });
    expect(await client.emitWithAck('echo', 'small')).toBe('small');
    const closed = nextEvent(client, 'disconnect');
    client.emit('echo', 'x'.repeat(2000));
    expect(await closed).toBe('transport close');
  });

  it('lets a gateway keep its own socket.io adapter in Redis mode, and says so at boot', async () => {
    // socket.io's in-memory adapter class, as a gateway would import it from socket.io-adapter
    const InMemoryAdapter = new Server().of('/').adapter.constructor as new (namespace: Namespace) => object;
    class GatewayOwnAdapter extends InMemoryAdapter {}
    @WebSocketGateway({ adapter: GatewayOwnAdapter })
    class OwnAdapterGateway {
      @WebSocketServer() server!: Server;
    }
    const app = await bed.app({
      options: { redis: { url: redis.url, keyPrefix: uniquePrefix('own-adapter') } },
      providers: [OwnAdapterGateway],
    });

    expect(app.get(OwnAdapterGateway).server.of('/').adapter).toBeInstanceOf(GatewayOwnAdapter);
    expect(bed.logger.lines).toContainEqual({
      level: 'warn',
      message: 'A gateway sets its own socket.io "adapter": its server uses it instead of the Redis adapter of RealtimeModule.',
    });
  });
});
