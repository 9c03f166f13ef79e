import { RedisAdapter } from '@socket.io/redis-adapter';
import { once } from 'node:events';
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Server } from 'socket.io';
import { RedisIoAdapter, RedisNotConnectedError } from '../../lib/index.js';
import { nextEvent } from '../utils/events.js';
import { testRedis } from '../utils/redis-server.js';
import { TestBed, uniquePrefix } from '../utils/test-bed.js';

describe('RedisIoAdapter wired by hand, without Nest DI', () => {
  let redis: Awaited<ReturnType<typeof testRedis>>;
  let bed: TestBed;

  beforeAll(async () => (redis = await testRedis()));
  afterAll(() => redis.stop());
  beforeEach(() => (bed = new TestBed()));
  afterEach(() => bed.close());

  async function serve(keyPrefix: string): Promise<{ adapter: RedisIoAdapter; io: Server; url: string }> {
    const http: HttpServer = createServer();
    http.listen(0, '127.0.0.1');
    await once(http, 'listening');
    const adapter = new RedisIoAdapter(http, { redis: { url: redis.url, keyPrefix, requestsTimeout: 1234 } });
    await adapter.connectToRedis();
    const io = adapter.createIOServer(0);
    bed.defer(async () => {
      await adapter.close(io);
      await adapter.dispose();
    });
    return { adapter, io, url: `http://127.0.0.1:${(http.address() as AddressInfo).port}` };
  }

  it('serves socket.io on the given HTTP server through the unwrapped socket.io Redis adapter', async () => {
    const keyPrefix = uniquePrefix('hand');
    const { io } = await serve(keyPrefix);

    const adapter = io.of('/').adapter as RedisAdapter;
    expect(adapter).toBeInstanceOf(RedisAdapter);
    expect(adapter.requestsTimeout).toBe(1234);
    expect((adapter as unknown as { channel: string }).channel).toBe(`${keyPrefix}#/#`);
  });

  it('lets several adapters live in one process, each with its own connections, talking through Redis', async () => {
    const keyPrefix = uniquePrefix('pair');
    const [one, two] = [await serve(keyPrefix), await serve(keyPrefix)];
    const client = await bed.client(two.url);
    const received = nextEvent(client, 'news');

    one.io.emit('news', 'from the first adapter');

    expect(await received).toBe('from the first adapter');
    expect(await one.io.fetchSockets()).toHaveLength(1); // a cluster-wide request answered by the other
  });

  it('allows dispose() more than once', async () => {
    const { adapter, io } = await serve(uniquePrefix('dispose'));
    await adapter.close(io);
    await adapter.dispose();
    await expect(adapter.dispose()).resolves.toBeUndefined();
  });

  it('refuses to create a server before connectToRedis(), saying what to call', () => {
    const adapter = new RedisIoAdapter(createServer(), { redis: { url: redis.url } });
    expect(() => adapter.createIOServer(0)).toThrow(RedisNotConnectedError);
    expect(() => adapter.createIOServer(0)).toThrow(
      'RedisIoAdapter has Redis options but is not connected yet. Use `await app.get(RedisIoAdapterFactory).create(app)`, ' +
        'or `await adapter.connectToRedis()` before `app.useWebSocketAdapter(adapter)`.',
    );
  });
});
