import { Redis } from 'ioredis';
import type { Socket } from 'socket.io-client';
import { WebsocketBroadcastService } from '../../lib/index.js';
import { signTestToken } from '../../lib/testing/index.js';
import { collect, nextEvent } from '../utils/events.js';
import { RedisServer } from '../utils/redis-server.js';
import { TestBed, uniquePrefix } from '../utils/test-bed.js';
import { EchoGateway } from './echo.gateway.js';
import { InstancesGateway } from './instances.gateway.js';
import { TenantGateway } from './tenant.gateway.js';

/** Shouts from `sender` until `receiver` hears it: Redis resubscribes in the background after a restart. */
async function shoutUntilHeard(sender: Socket, receiver: Socket, text: string, withinMs: number): Promise<void> {
  const heard = nextEvent(receiver, 'shout', withinMs);
  const repeat = setInterval(() => sender.emit('shout', text), 100);
  sender.emit('shout', text);
  try {
    await heard;
  } finally {
    clearInterval(repeat);
  }
}

// An unhandled rejection anywhere in these apps fails the running test (Jest does that by itself).
describe('Redis going away and coming back', () => {
  let redis: RedisServer;
  let bed: TestBed;

  beforeEach(async () => {
    redis = await RedisServer.start(); // always our own: the test kills it
    bed = new TestBed();
  });
  afterEach(async () => {
    await bed.close();
    await redis.stop();
  });

  it('keeps serving local clients during the outage and resumes cross-instance delivery after it', async () => {
    const options = { redis: { url: redis.url, keyPrefix: uniquePrefix('outage') } };
    const [a, b] = await bed.apps(2, { options, providers: [EchoGateway] });
    const [onA, alsoOnA, onB] = await Promise.all([a, a, b].map((app) => bed.client(app)));
    await shoutUntilHeard(onA, onB, 'before', 1000);
    const heardOnB = collect<string>(onB, 'shout');

    await redis.stop();
    await bed.logger.waitFor(/is unavailable/, 2); // both instances noticed

    const local = nextEvent(alsoOnA, 'shout');
    onA.emit('shout', 'during the outage');
    expect(await local).toBe('during the outage');
    expect(await onA.emitWithAck('echo', 'still answering')).toBe('still answering');

    await redis.start();
    const started = Date.now();
    await shoutUntilHeard(onA, onB, 'after', 10_000);

    expect(Date.now() - started).toBeLessThan(10_000);
    expect(heardOnB).not.toContain('during the outage'); // dropped, never replayed late
    expect(bed.logger.lines.filter((line) => line.level === 'error')).toEqual([]);
    await bed.logger.waitFor(/is back/, 2);
  });

  // An adapter subscribes to its channels as it is created, and ioredis resubscribes after a reconnect
  // only to the channels Redis had confirmed.
  it.each([
    ['pub/sub', {}],
    ['Redis Streams (recovery)', { recovery: true }],
  ])('serves a namespace first opened during the outage, and it hears the other instances once Redis is back (%s)', async (_name, more) => {
    const options = { redis: { url: redis.url, keyPrefix: uniquePrefix('opened') }, ...more };
    const [a, b] = await bed.apps(2, { options, providers: [TenantGateway] });
    await redis.stop();
    await bed.logger.waitFor(/is unavailable/, 2);

    const onA = await bed.client(a, { namespace: '/tenant-new' }); // its adapter subscribes now, and fails
    expect(await onA.emitWithAck('echo', 'served')).toBe('served');

    await redis.start();
    await bed.logger.waitFor(/is back/, 2);
    const onB = await bed.client(b, { namespace: '/tenant-new' });
    await shoutUntilHeard(onB, onA, 'after', 10_000);
    expect(bed.logger.lines.filter((line) => line.level === 'error')).toEqual([]);
  });

  it('delivers to a room first joined during the outage once Redis is back (sharded pub/sub: a channel per room)', async () => {
    const options = { redis: { url: redis.url, keyPrefix: uniquePrefix('room'), mode: 'sharded' as const } };
    const [a, b] = await bed.apps(2, { options, providers: [EchoGateway] });
    const [member, sender] = await Promise.all([bed.client(a), bed.client(b)]);
    await redis.stop();
    await bed.logger.waitFor(/is unavailable/, 2);

    expect(await member.emitWithAck('join', 'lobby')).toBe('joined'); // its channel's SSUBSCRIBE fails

    await redis.start();
    await bed.logger.waitFor(/is back/, 2);
    const heard = nextEvent(member, 'room', 10_000);
    const repeat = setInterval(() => sender.emit('to-room', { room: 'lobby', data: 'after' }), 100);
    try {
      expect(await heard).toBe('after');
    } finally {
      clearInterval(repeat);
    }
  });

  it('unsubscribes a room deleted during the outage once Redis is back (sharded pub/sub), not resubscribed by ioredis', async () => {
    const keyPrefix = uniquePrefix('deleted');
    const [a] = await bed.apps(2, {
      options: { redis: { url: redis.url, keyPrefix, mode: 'sharded' as const } },
      providers: [EchoGateway],
    });
    const member = await bed.client(a);
    expect(await member.emitWithAck('join', 'ephemeral')).toBe('joined');
    const subscribers = async () => {
      const admin = new Redis(redis.url);
      try {
        const [, count] = (await admin.call('PUBSUB', 'SHARDNUMSUB', `${keyPrefix}#/#ephemeral#`)) as [string, number];
        return count;
      } finally {
        await admin.quit();
      }
    };
    expect(await subscribers()).toBe(1);
    await redis.stop();
    await bed.logger.waitFor(/is unavailable/, 2);

    const gone = nextEvent(member, 'disconnect');
    member.close(); // the room's last socket: the instance deletes the room, and its SUNSUBSCRIBE fails
    await gone;
    await redis.start();
    await bed.logger.waitFor(/is back/, 2);

    const deadline = Date.now() + 5000;
    while ((await subscribers()) > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await subscribers()).toBe(0);
  });

  it.each(['pubsub', 'sharded'] as const)("answers an app's serverSideEmitWithAck during the outage, and lives (%s)", async (mode) => {
    const options = { redis: { url: redis.url, keyPrefix: uniquePrefix('ask'), mode } };
    const [a] = await bed.apps(2, { options, providers: [InstancesGateway] });
    const client = await bed.client(a);
    expect(await client.emitWithAck('ask-instances')).toEqual(['pong']);
    await redis.stop();
    await bed.logger.waitFor(/is unavailable/, 2);

    expect(await client.emitWithAck('ask-instances')).toMatch(/^failed: /);

    await redis.start();
    await bed.logger.waitFor(/is back/, 2);
    expect(await client.emitWithAck('ask-instances')).toEqual(['pong']);
  });

  it.each(['pubsub', 'sharded'] as const)(
    "answers an app's broadcast with acks during the outage with its own clients' acks, and lives (%s)",
    async (mode) => {
      const options = { redis: { url: redis.url, keyPrefix: uniquePrefix('acks'), mode } };
      const [a, b] = await bed.apps(2, { options, providers: [InstancesGateway] });
      const names = ['asker', 'neighbour', 'remote'];
      const clients = await Promise.all([a, a, b].map((app) => bed.client(app)));
      clients.forEach((client, i) => client.on('question', (ack: (name: string) => void) => ack(names[i])));
      const [asker] = clients;
      expect(await asker.emitWithAck('ask-clients')).toEqual(['asker', 'neighbour', 'remote']);
      await redis.stop();
      await bed.logger.waitFor(/is unavailable/, 2);

      expect(await asker.emitWithAck('ask-clients')).toEqual(['asker', 'neighbour']);

      await redis.start();
      await bed.logger.waitFor(/is back/, 2);
      let answers: unknown;
      // the other instance hears again once its resubscription is through
      for (let ask = 0; ask < 5 && !Array.isArray(answers); ask++) answers = await asker.emitWithAck('ask-clients');
      expect(answers).toEqual(['asker', 'neighbour', 'remote']);
    },
  );

  it('delivers nothing stale after Redis returns: publishes in flight when it died are dropped, not resent', async () => {
    const secret = 'outage-secret';
    const keyPrefix = uniquePrefix('stale');
    const [a, b] = await bed.apps(2, { options: { redis: { url: redis.url, keyPrefix }, auth: { secret } }, providers: [EchoGateway] });
    const receiver = await bed.client(a, { token: signTestToken({ sub: 'hal' }, secret) });
    const marker = await bed.client(b, { token: signTestToken({ sub: 'ida' }, secret) });
    await shoutUntilHeard(marker, receiver, 'before', 1000);
    let redisRestarted = false;
    const late: number[] = [];
    receiver.on('numbered', (n: number) => redisRestarted && late.push(n));

    // A hung Redis leaves the publishes unanswered on the connection; then it dies.
    redis.pause();
    const broadcast = b.get(WebsocketBroadcastService);
    for (let n = 1; n <= 20; n++) await broadcast.sendToUser('hal', 'numbered', n);
    await redis.stop();
    await bed.logger.waitFor(/is unavailable/, 2);

    await redis.start();
    redisRestarted = true;
    // Subscribed before the instances reconnect (they retry after a delay), it sees all they publish.
    const published: string[] = [];
    const watcher = new Redis(redis.url);
    bed.defer(() => watcher.quit());
    await watcher.psubscribe(`${keyPrefix}#*`);
    watcher.on('pmessageBuffer', (_pattern: Buffer, _channel: Buffer, message: Buffer) => published.push(message.toString('latin1')));
    await shoutUntilHeard(marker, receiver, 'after', 10_000);

    const resent = published.filter((message) => message.includes('numbered')).length;
    console.log(`20 publishes in flight when Redis died: ${resent} resent after it returned, ${late.length} delivered late`);
    expect(published.some((message) => message.includes('after'))).toBe(true);
    expect(resent).toBe(0);
    expect(late).toEqual([]);
  });
});
