import { Cluster } from 'ioredis';
import { PresenceService, WebsocketBroadcastService } from '../../lib/index.js';
import { signTestToken } from '../../lib/testing/index.js';
import { RoomsGateway } from '../rooms/rooms.host.js';
import { nextEvent } from '../utils/events.js';
import { RedisCluster } from '../utils/redis-cluster.js';
import { TestBed, uniquePrefix } from '../utils/test-bed.js';
import { EchoGateway } from './echo.gateway.js';

const secret = 'cluster-test-secret';

describe('over a Redis Cluster (an existing ioredis Cluster client)', () => {
  let cluster: RedisCluster;
  let client: Cluster;
  let bed: TestBed;

  beforeAll(async () => {
    cluster = await RedisCluster.start();
    client = new Cluster(cluster.startupNodes);
  }, 30_000);
  afterAll(async () => {
    await client.quit();
    await cluster.stop();
  });
  beforeEach(() => (bed = new TestBed()));
  afterEach(() => bed.close());

  it('delivers across instances, keeps presence, and leaves the given Cluster client open', async () => {
    const options = { redis: { client, keyPrefix: uniquePrefix('cluster') }, auth: { secret } };
    const [a, b] = await bed.apps(2, { options, providers: [EchoGateway, RoomsGateway] });
    const [onA, onB] = [
      await bed.client(a, { token: signTestToken({ sub: 'alice' }, secret) }),
      await bed.client(b, { token: signTestToken({ sub: 'bob' }, secret) }),
    ];

    const received = nextEvent(onB, 'shout');
    onA.emit('shout', 'through the cluster');
    expect(await received).toBe('through the cluster');

    const presence = b.get(PresenceService);
    const deadline = Date.now() + 5000;
    while (!(await presence.isOnline('alice')) && Date.now() < deadline) await new Promise((resolve) => setImmediate(resolve));
    expect((await presence.online()).sort()).toEqual(['alice', 'bob']);

    await bed.close();
    expect(client.status).toBe('ready');
  });

  it("delivers in redis.mode 'sharded' through the given Cluster client's duplicates, leaving it open", async () => {
    const options = { redis: { client, keyPrefix: uniquePrefix('cluster-sharded'), mode: 'sharded' as const }, auth: { secret } };
    const [a, b] = await bed.apps(2, { options, providers: [EchoGateway] });
    const bob = await bed.client(b, { token: signTestToken({ sub: 'bob' }, secret) });
    const received = nextEvent(bob, 'dm');

    await a.get(WebsocketBroadcastService).sendToUser('bob', 'dm', 'over a sharded channel');

    expect(await received).toBe('over a sharded channel');
    await bed.close();
    expect(client.status).toBe('ready');
  });

  it('recovers a socket with what it missed, with recovery on (Redis Streams on the cluster)', async () => {
    const options = { redis: { client, keyPrefix: uniquePrefix('cluster-recovery') }, auth: { secret }, recovery: true };
    const [a, b] = await bed.apps(2, { options, providers: [EchoGateway] });
    const alice = await bed.client(a, { token: signTestToken({ sub: 'alice' }, secret) });
    const received: unknown[] = [];
    alice.on('dm', (text: unknown) => received.push(text));
    const broadcasts = b.get(WebsocketBroadcastService);
    await broadcasts.sendToUser('alice', 'dm', 'before');
    await nextEvent(alice, 'dm');

    const dropped = nextEvent(alice, 'disconnect');
    alice.io.engine.close();
    await dropped;
    await broadcasts.sendToUser('alice', 'dm', 'while away');
    alice.connect();
    await nextEvent(alice, 'dm');
    expect(alice.recovered).toBe(true);
    expect(received).toEqual(['before', 'while away']);
  });
});
