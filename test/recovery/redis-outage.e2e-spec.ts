import type { INestApplication } from '@nestjs/common';
import type { Socket } from 'socket.io-client';
import { RESYNC_EVENT, WebsocketBroadcastService } from '../../lib/index.js';
import { signTestToken } from '../../lib/testing/index.js';
import { nextEvent } from '../utils/events.js';
import { FailoverProxy } from '../utils/failover-proxy.js';
import { RedisServer } from '../utils/redis-server.js';
import { TestBed, uniquePrefix } from '../utils/test-bed.js';
import { NumberedReceiver, total } from './numbered.js';
import { RecoveryGateway } from './recovery.gateway.js';

const secret = 'recovery-outage-secret';

describe('recovery through a Redis outage', () => {
  let redis: RedisServer;
  let bed: TestBed;

  beforeEach(async () => {
    redis = await RedisServer.start(); // always our own: the test stops it
    bed = new TestBed();
  });
  afterEach(async () => {
    await bed.close();
    await redis.stop();
  });

  function apps(count: number, recovery: object | true, extra: object = {}): Promise<INestApplication[]> {
    const options = { redis: { url: redis.url, keyPrefix: uniquePrefix('outage') }, auth: { secret }, recovery, ...extra };
    return bed.apps(count, { options, providers: [RecoveryGateway] });
  }

  async function inLobby(app: INestApplication, userId: string): Promise<Socket> {
    const socket = await bed.client(app, { token: signTestToken({ sub: userId }, secret) });
    await socket.emitWithAck('join', 'lobby');
    return socket;
  }

  it('delivers what was sent while Redis was stopped for 3 s, late, in order, once', async () => {
    const [a, b] = await apps(2, true);
    const receivers = [await inLobby(a, 'alice'), await inLobby(b, 'bob')].map((socket) => new NumberedReceiver(socket, 'tick'));
    const broadcasts = a.get(WebsocketBroadcastService);
    let n = 0;
    const send = () => broadcasts.sendToRoom('lobby', 'tick', { n: ++n });
    const ticking = setInterval(() => void send(), 10);
    try {
      await send();
      await Promise.all(receivers.map((receiver) => receiver.until(1)));
      await redis.stop();
      await bed.logger.waitFor(/is unavailable/, 2);
      await new Promise((resolve) => setTimeout(resolve, 3000)); // the outage itself
      await redis.start();
      await bed.logger.waitFor(/is back/, 2);
      await Promise.all(receivers.map((receiver) => receiver.until(n)));
    } finally {
      clearInterval(ticking);
    }
    await send(); // the last one, after every tick of the interval
    await Promise.all(receivers.map((receiver) => receiver.until(n)));

    const counts = receivers.map((receiver) => receiver.counts(1, n));
    console.log(`Redis stopped 3 s: ${n} messages to 2 clients on 2 instances`, total(counts));
    expect(n).toBeGreaterThan(200);
    expect(total(counts)).toEqual({ received: 2 * n, lost: 0, duplicated: 0, outOfOrder: 0 });
    expect(bed.logger.lines.filter((line) => line.level === 'error')).toEqual([]);
  });

  it('writes once a message whose answer a dropped connection swallowed', async () => {
    // The app reaches Redis through a proxy that can cut its connections while Redis, frozen, holds
    // commands it will still run: their answers are lost, their entries are in the stream.
    const proxy = await FailoverProxy.start([redis.port]);
    bed.defer(() => proxy.close());
    const redisOptions = { url: proxy.url.replace('http', 'redis'), keyPrefix: uniquePrefix('outage') };
    const [a] = await bed.apps(1, { options: { redis: redisOptions, auth: { secret }, recovery: true }, providers: [RecoveryGateway] });
    const alice = await inLobby(a, 'alice');
    const ticks = new NumberedReceiver(alice, 'tick');
    const broadcasts = a.get(WebsocketBroadcastService);
    await broadcasts.sendToUser('alice', 'tick', { n: 1 });
    await ticks.until(1);

    redis.pause();
    for (let n = 2; n <= 100; n++) void broadcasts.sendToUser('alice', 'tick', { n });
    // Time for the proxy to pass them on to the frozen Redis's socket (nothing signals that they are there).
    await new Promise((resolve) => setTimeout(resolve, 200));
    proxy.dropConnections();
    await bed.logger.waitFor(/is unavailable/);
    redis.resume();
    await ticks.until(100);
    await broadcasts.sendToUser('alice', 'tick', { n: 101 });
    await ticks.until(101);

    console.log('answers lost with the connection:', ticks.counts(1, 101));
    expect(ticks.counts(1, 101)).toEqual({ received: 101, lost: 0, duplicated: 0, outOfOrder: 0 });
  });

  it('drops what overflows the buffer, warns once, and sends realtime:resync to its recipients', async () => {
    // Presence off: its room events would take places in the buffer too.
    const [a] = await apps(1, { bufferMaxMessages: 10 }, { presence: false });
    const alice = await inLobby(a, 'alice');
    const bob = await inLobby(a, 'bob');
    const ticks = new NumberedReceiver(alice, 'tick');
    const broadcasts = a.get(WebsocketBroadcastService);
    await broadcasts.sendToUser('alice', 'tick', { n: 0 });
    await ticks.until(0);

    await redis.stop();
    await bed.logger.waitFor(/is unavailable/);
    for (let n = 1; n <= 30; n++) await broadcasts.sendToUser('alice', 'tick', { n });
    const resync = nextEvent(alice, RESYNC_EVENT, 10_000);
    const bobResyncs: unknown[] = [];
    bob.on(RESYNC_EVENT, (payload: unknown) => bobResyncs.push(payload));
    await redis.start();

    expect(await resync).toEqual({ reason: 'BUFFER_OVERFLOW' });
    expect(ticks.numbers).toEqual([0, ...Array.from({ length: 10 }, (_, i) => 21 + i)]); // the newest 10, before the resync
    const warnings = bed.logger.lines.filter((line) => /buffer is full|were dropped/.test(line.message));
    expect(warnings.map((line) => line.message)).toEqual([
      expect.stringContaining('recovery.bufferMaxMessages 10'),
      'Redis is back: 20 messages sent during the outage were dropped (the buffer was full).',
    ]);
    await broadcasts.sendToUser('bob', 'tick', { n: 31 });
    await nextEvent(bob, 'tick');
    expect(bobResyncs).toEqual([]); // none of the dropped messages was for bob
  });
});
