import type { INestApplication } from '@nestjs/common';
import { Redis } from 'ioredis';
import type { Socket } from 'socket.io-client';
import { PRESENCE_LEAVE_EVENT, PRESENCE_JOIN_EVENT, RESYNC_EVENT, WebsocketBroadcastService } from '../../lib/index.js';
import { signTestToken } from '../../lib/testing/index.js';
import { collect, nextEvent } from '../utils/events.js';
import { RedisServer } from '../utils/redis-server.js';
import { TestBed, uniquePrefix } from '../utils/test-bed.js';
import { NumberedReceiver } from './numbered.js';
import { RecoveryGateway } from './recovery.gateway.js';

const secret = 'recovery-test-secret';

/** Closes the client's transport as a network drop would; socket.io-client reconnects by itself unless told not to. */
async function dropConnection(socket: Socket): Promise<void> {
  const disconnected = nextEvent(socket, 'disconnect');
  socket.io.engine.close();
  await disconnected;
}

/** The private session id socket.io-client keeps to recover with. */
function sessionIdOf(socket: Socket): string {
  return (socket as unknown as { _pid: string })._pid;
}

describe('recovery after a dropped connection, over Redis', () => {
  let redis: RedisServer;
  let admin: Redis;
  let bed: TestBed;
  let keyPrefix: string;

  beforeAll(async () => {
    redis = await RedisServer.start();
    admin = new Redis(redis.url);
  });
  afterAll(async () => {
    await admin.quit();
    await redis.stop();
  });
  beforeEach(() => {
    bed = new TestBed();
    keyPrefix = uniquePrefix('recovery');
  });
  afterEach(() => bed.close());

  function apps(count: number, extra: object = {}): Promise<INestApplication[]> {
    const options = { redis: { url: redis.url, keyPrefix }, auth: { secret }, recovery: { maxDisconnectionMs: 10_000 }, ...extra };
    return bed.apps(count, { options, providers: [RecoveryGateway] });
  }

  function client(app: INestApplication, userId: string, token = signTestToken({ sub: userId }, secret)): Promise<Socket> {
    return bed.client(app, { token, reconnectionDelay: 50, reconnectionDelayMax: 100, reconnection: true });
  }

  /** Waits until Redis no longer holds the client's session: the window has passed. */
  async function untilSessionExpired(socket: Socket): Promise<void> {
    const key = `${keyPrefix}:session:${sessionIdOf(socket)}`;
    while ((await admin.exists(key)) === 1) await new Promise((resolve) => setTimeout(resolve, 50));
  }

  it('gives the socket back (id, rooms, data) with every message sent meanwhile, by every route, in order, once', async () => {
    const [a, b] = await apps(2);
    const alice = await client(a, 'alice');
    const bob = await client(b, 'bob');
    await alice.emitWithAck('join', 'lobby');
    await alice.emitWithAck('note', 'kept');
    const before = await alice.emitWithAck('whoami');
    const ticks = new NumberedReceiver(alice, 'tick');
    const relayed = new NumberedReceiver(alice, 'relayed');
    const broadcasts = b.get(WebsocketBroadcastService);
    await broadcasts.sendToUser('alice', 'tick', { n: 1 });
    await ticks.until(1);

    alice.io.reconnection(false);
    await dropConnection(alice);
    const routes = [
      (n: number) => broadcasts.broadcast('tick', { n }),
      (n: number) => broadcasts.sendToRoom('lobby', 'tick', { n }),
      (n: number) => broadcasts.sendToUser('alice', 'tick', { n }),
      (n: number) => broadcasts.sendToUsers(['alice', 'bob'], 'tick', { n }),
    ];
    for (let n = 2; n <= 41; n++) await routes[n % routes.length](n);
    for (let n = 1; n <= 10; n++) bob.emit('to-room', { room: 'lobby', n });
    await bob.emitWithAck('whoami'); // bob's emits are handled in order: the last relay is out
    alice.io.reconnection(true);
    alice.connect();
    await nextEvent(alice, 'connect');
    await broadcasts.sendToUser('alice', 'tick', { n: 42 });
    await ticks.until(42);
    await relayed.until(10);

    console.log('dropped connection:', ticks.counts(1, 42), 'gateway room emits:', relayed.counts(1, 10));
    expect(alice.recovered).toBe(true);
    expect(await alice.emitWithAck('whoami')).toEqual(before);
    expect(before).toMatchObject({ rooms: [before.id, 'lobby', 'user:alice'].sort(), data: { userId: 'alice', note: 'kept' } });
    expect(ticks.counts(1, 42)).toEqual({ received: 42, lost: 0, duplicated: 0, outOfOrder: 0 });
    expect(relayed.counts(1, 10)).toEqual({ received: 10, lost: 0, duplicated: 0, outOfOrder: 0 });
  });

  it('recovers a client that had received nothing before its connection dropped', async () => {
    const [a] = await apps(1);
    const alice = await client(a, 'alice');
    const ticks = new NumberedReceiver(alice, 'tick');
    alice.io.reconnection(false);
    await dropConnection(alice);
    await a.get(WebsocketBroadcastService).sendToUser('alice', 'tick', { n: 1 });
    alice.connect();
    await ticks.until(1);
    expect(alice.recovered).toBe(true);
    expect(ticks.counts(1, 1).received).toBe(1);
  });

  it('sends realtime:resync { reason: WINDOW_EXPIRED } once the window has passed, and nothing on a first connection', async () => {
    const [a] = await apps(1, { recovery: { maxDisconnectionMs: 1000 } });
    const alice = await client(a, 'alice');
    const resyncs = collect(alice, RESYNC_EVENT);
    alice.io.reconnection(false);
    await dropConnection(alice);
    await untilSessionExpired(alice);
    const resync = nextEvent(alice, RESYNC_EVENT);
    alice.connect();
    await nextEvent(alice, 'connect');
    expect(alice.recovered).toBe(false);
    expect(await resync).toEqual({ reason: 'WINDOW_EXPIRED' });
    expect(resyncs).toHaveLength(1); // the first connection had none
  });

  it('sends realtime:resync { reason: HISTORY_TRIMMED } when the stream was trimmed past the client', async () => {
    const [a] = await apps(1, { recovery: { maxDisconnectionMs: 10_000, streamMaxLength: 1000 } });
    const alice = await client(a, 'alice');
    const broadcasts = a.get(WebsocketBroadcastService);
    await broadcasts.sendToUser('alice', 'tick', { n: 1 });
    await nextEvent(alice, 'tick');
    alice.io.reconnection(false);
    await dropConnection(alice);
    for (let n = 2; n <= 3000; n++) void broadcasts.broadcast('tick', { n });
    await broadcasts.sendToUser('alice', 'tick', { n: 3001 });
    const resync = nextEvent(alice, RESYNC_EVENT);
    alice.connect();
    expect(await resync).toEqual({ reason: 'HISTORY_TRIMMED' });
    expect(alice.recovered).toBe(false);
  });

  it("runs the handshake auth again: an expired token or another user's token is refused", async () => {
    const [a] = await apps(1);
    const expiresAt = Math.floor(Date.now() / 1000) + 2;
    const alice = await client(a, 'alice', signTestToken({ sub: 'alice', exp: expiresAt }, secret));
    alice.io.reconnection(false);
    await dropConnection(alice);
    while (Date.now() < expiresAt * 1000 + 50) await new Promise((resolve) => setTimeout(resolve, 50));
    const refused = nextEvent<Error & { data: { code: string } }>(alice, 'connect_error');
    alice.connect();
    expect((await refused).data).toEqual({ code: 'TOKEN_EXPIRED' });

    const bob = await client(a, 'bob');
    bob.io.reconnection(false);
    await dropConnection(bob);
    bob.auth = { token: signTestToken({ sub: 'mallory' }, secret) };
    const refusedToo = nextEvent<Error & { data: { code: string } }>(bob, 'connect_error');
    bob.connect();
    expect((await refusedToo).data).toEqual({ code: 'USER_REJECTED' });
  });

  it('does not flap presence: no leave and join for a socket that recovers within the window', async () => {
    const [a, b] = await apps(2, { presence: { roomEvents: 'each' } });
    const watcher = await client(b, 'watcher');
    const self = nextEvent(watcher, PRESENCE_JOIN_EVENT);
    await watcher.emitWithAck('join', 'lobby');
    expect(await self).toEqual({ room: 'lobby', userId: 'watcher' });
    const alice = await client(a, 'alice');
    const joined = nextEvent(watcher, PRESENCE_JOIN_EVENT);
    await alice.emitWithAck('join', 'lobby');
    expect(await joined).toEqual({ room: 'lobby', userId: 'alice' });
    const changes = collect(watcher, PRESENCE_LEAVE_EVENT);
    const rejoins = collect(watcher, PRESENCE_JOIN_EVENT);

    await dropConnection(alice);
    await nextEvent(alice, 'connect');
    expect(alice.recovered).toBe(true);
    // A user who really leaves is announced; alice's drop, before it, was not.
    const carol = await client(b, 'carol');
    await carol.emitWithAck('join', 'lobby');
    const carolLeft = nextEvent(watcher, PRESENCE_LEAVE_EVENT);
    carol.disconnect();
    expect(await carolLeft).toEqual({ room: 'lobby', userId: 'carol' });
    expect(changes).toEqual([{ room: 'lobby', userId: 'carol' }]);
    expect(rejoins).toEqual([{ room: 'lobby', userId: 'carol' }]);
  });

  it('delivers what a worker process sends, live and on recovery', async () => {
    // The worker writes entries in the streams adapter's format; the adapter's reader delivers them.
    const [a] = await apps(1);
    const worker = await bed.app({ options: { redis: { url: redis.url, keyPrefix }, recovery: true } });
    const alice = await client(a, 'alice');
    const ticks = new NumberedReceiver(alice, 'tick');
    const fromWorker = worker.get(WebsocketBroadcastService);
    await fromWorker.sendToUser('alice', 'tick', { n: 1, binary: Buffer.from([1, 2, 3]) });
    await ticks.until(1);
    alice.io.reconnection(false);
    await dropConnection(alice);
    await fromWorker.sendToRoom('user:alice', 'tick', { n: 2 });
    await fromWorker.broadcast('tick', { n: 3, binary: Buffer.from([4]) });
    alice.connect();
    await ticks.until(3);
    expect(alice.recovered).toBe(true);
    expect(ticks.counts(1, 3)).toEqual({ received: 3, lost: 0, duplicated: 0, outOfOrder: 0 });
  });
});
