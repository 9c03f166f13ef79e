import { NestFactory } from '@nestjs/core';
import { Cluster } from 'ioredis';
import { once } from 'node:events';
import { connect, createServer, type Server, type Socket as TcpSocket } from 'node:net';
import type { Socket } from 'socket.io-client';
import { RealtimeModule, RedisVersionError, RoomService, WebsocketBroadcastService } from '../../lib/index.js';
import { signTestToken } from '../../lib/testing/index.js';
import { RoomsGateway } from '../rooms/rooms.host.js';
import { nextEvent } from '../utils/events.js';
import { RedisCluster } from '../utils/redis-cluster.js';
import { RedisServer } from '../utils/redis-server.js';
import { hostModule, TestBed, uniquePrefix } from '../utils/test-bed.js';

const secret = 'sharded-test-secret';

/** A Redis 7 that says it is 6 (its INFO rewritten on the way), as an older server would answer. */
async function redisClaimingVersion6(redis: RedisServer): Promise<{ url: string; close(): Promise<void> }> {
  const sockets = new Set<TcpSocket>();
  const server: Server = createServer((client) => {
    const upstream = connect(redis.port, '127.0.0.1');
    for (const socket of [client, upstream]) sockets.add(socket.on('error', () => socket.destroy()));
    client.pipe(upstream);
    upstream.on('data', (chunk: Buffer) =>
      client.write(chunk.toString('latin1').replace('redis_version:7.', 'redis_version:6.'), 'latin1'),
    );
    const close = () => (client.destroy(), upstream.destroy());
    client.on('close', close);
    upstream.on('close', close);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `redis://127.0.0.1:${(server.address() as { port: number }).port}`,
    async close() {
      sockets.forEach((socket) => socket.destroy());
      server.close();
      await once(server, 'close');
    },
  };
}

describe("redis.mode 'sharded' on a Redis older than 7", () => {
  let redis: RedisServer;
  let older: Awaited<ReturnType<typeof redisClaimingVersion6>>;
  let bed: TestBed;

  beforeAll(async () => {
    redis = await RedisServer.start();
    older = await redisClaimingVersion6(redis);
  });
  afterAll(async () => {
    await older.close();
    await redis.stop();
  });
  beforeEach(() => (bed = new TestBed()));
  afterEach(() => bed.close());

  it('refuses to boot, and a worker refuses to send, naming the Redis, its version and the fix', async () => {
    const options = { redis: { url: older.url, keyPrefix: uniquePrefix('old'), mode: 'sharded' as const } };
    const message = new RegExp(
      `^redis\\.mode 'sharded' needs Redis 7\\.0 or later \\(sharded pub/sub: SPUBLISH, SSUBSCRIBE\\), but the Redis at ${older.url}/? ` +
        `is 6\\.\\d+\\.\\d+\\. Upgrade Redis, or leave RealtimeModule option redis\\.mode at 'pubsub'\\.$`,
    );

    const booting = bed.app({ options, providers: [RoomsGateway] });
    await expect(booting).rejects.toThrow(RedisVersionError);
    await expect(booting).rejects.toThrow(message);

    const worker = await NestFactory.createApplicationContext(hostModule({ imports: [RealtimeModule.forRoot(options)] }), {
      logger: false,
    });
    bed.defer(() => worker.close());
    await expect(worker.get(WebsocketBroadcastService).broadcast('news', 1)).rejects.toThrow(message);
  });
});

describe("redis.mode 'sharded' on a Redis Cluster whose master fails over", () => {
  let cluster: RedisCluster;
  let admin: Cluster;
  let bed: TestBed;

  beforeAll(async () => {
    cluster = await RedisCluster.start({ replicas: 1 });
    admin = new Cluster(cluster.startupNodes);
  }, 30_000);
  afterAll(async () => {
    admin.disconnect();
    await cluster.stop();
  });
  beforeEach(() => (bed = new TestBed()));
  afterEach(() => bed.close());

  /** Sends probes until one arrives: the subscription moved to the new master. */
  async function untilDelivered(send: (n: number) => Promise<void>, socket: Socket, event: string): Promise<void> {
    const arrived = nextEvent(socket, event, 30_000);
    let delivered = false;
    void arrived.then(() => (delivered = true));
    for (let n = 0; !delivered; n++) {
      await send(n);
      await Promise.race([arrived, new Promise((resolve) => setTimeout(resolve, 200))]);
    }
  }

  it('keeps serving, and delivery to a room on the failed shard resumes once its replica took over', async () => {
    const keyPrefix = uniquePrefix('failover');
    const options = { redis: { nodes: cluster.startupNodes, keyPrefix, mode: 'sharded' as const }, auth: { secret } };
    const [a, b] = await bed.apps(2, { options, providers: [RoomsGateway] });
    const alice = await bed.client(b, { token: signTestToken({ sub: 'alice' }, secret) });
    await a.get(RoomService).joinUser('alice', 'lobby');
    const slot = Number(await admin.call('CLUSTER', 'KEYSLOT', `${keyPrefix}#/#lobby#`)); // the room's channel
    const master = Number(admin.slots[slot][0].split(':')[1]);
    const ticks: number[] = [];
    alice.on('tick', (n: number) => ticks.push(n));
    const broadcasts = a.get(WebsocketBroadcastService);
    const sendTicks = async (from: number, to: number) => {
      const last = new Promise<void>((resolve) => alice.on('tick', (n: number) => n === to && resolve()));
      for (let n = from; n <= to; n++) await broadcasts.sendToRoom('lobby', 'tick', n);
      await last;
    };
    await sendTicks(1, 10);

    const crashedAt = Date.now();
    await cluster.crashMaster(master);
    await untilDelivered((n) => broadcasts.sendToRoom('lobby', 'probe', n), alice, 'probe');
    console.log(`a room on the failed shard heard again ${Date.now() - crashedAt} ms after its master crashed`);
    await sendTicks(11, 30);

    expect(ticks).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    const news = nextEvent(alice, 'news');
    await broadcasts.sendToUser('alice', 'news', 'and the user channel');
    expect(await news).toBe('and the user channel');
    expect(await alice.emitWithAck('say', { room: 'elsewhere', text: 'still here' })).toBe('ok'); // the instance still answers
    expect(await b.get(RoomService).members('lobby')).toEqual([expect.objectContaining({ userId: 'alice' })]);
  }, 60_000);
});
