import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { Socket } from 'socket.io-client';
import { RealtimeModule, RoomService, WebsocketBroadcastService, type RealtimeModuleOptions } from '../../lib/index.js';
import { signTestToken } from '../../lib/testing/index.js';
import { collect, nextEvent } from '../utils/events.js';
import { buildLibraryForInstances, InstanceProcess, runWorker, type CompiledLibrary } from '../utils/instance-process.js';
import { REDIS_DEPLOYMENTS, type RedisDeployment } from '../utils/redis-deployments.js';
import { hostModule, TestBed, uniquePrefix } from '../utils/test-bed.js';
import { NotifyController, RoomsGateway } from './rooms.host.js';

const secret = 'rooms-test-secret';

let library: CompiledLibrary; // for worker processes, built once for every deployment
beforeAll(async () => (library = await buildLibraryForInstances()), 60_000);
afterAll(() => library.remove());

describe.each(REDIS_DEPLOYMENTS)('rooms and broadcasting across two instances (%s)', (_deployment, start) => {
  let redis: RedisDeployment;
  let bed: TestBed;
  let options: RealtimeModuleOptions;
  let a: INestApplication;
  let b: INestApplication;
  let aliceOnA: Socket;
  let aliceOnB: Socket;
  let bobOnB: Socket;

  beforeAll(async () => (redis = await start()), 30_000);
  afterAll(() => redis.stop());
  beforeEach(async () => {
    bed = new TestBed();
    options = { redis: { ...redis.options(uniquePrefix('rooms')), requestsTimeout: 2000 }, auth: { secret } };
    [a, b] = await bed.apps(2, { options, providers: [RoomsGateway], controllers: [NotifyController] });
    const as = (sub: string) => ({ token: signTestToken({ sub }, secret) });
    [aliceOnA, aliceOnB, bobOnB] = [await bed.client(a, as('alice')), await bed.client(b, as('alice')), await bed.client(b, as('bob'))];
  });
  afterEach(() => bed.close());

  /**
   * Resolves once every socket got a `barrier` sent after everything before it: by default a broadcast
   * to all. On a Cluster in sharded mode only the messages of one channel keep their order (README), so
   * a test of one room or user sends its barrier there with `send`.
   */
  async function barrier(
    from: INestApplication,
    sockets: Socket[],
    send = (service: WebsocketBroadcastService) => service.broadcast('barrier', null),
  ): Promise<void> {
    const arrived = Promise.all(sockets.map((socket) => nextEvent(socket, 'barrier')));
    await send(from.get(WebsocketBroadcastService));
    await arrived;
  }

  it('sendToUser reaches each socket of the user exactly once, on every instance, and no one else', async () => {
    const got = [aliceOnA, aliceOnB, bobOnB].map((socket) => collect(socket, 'ping'));

    await a.get(WebsocketBroadcastService).sendToUser('alice', 'ping', { n: 1 });
    // on alice's channel: bob's instance handles it after the ping, which it must not give bob
    await barrier(a, [aliceOnA, aliceOnB], (service) => service.sendToUser('alice', 'barrier', null));

    expect(got).toEqual([[{ n: 1 }], [{ n: 1 }], []]);
  });

  it('sendToUsers reaches every listed user once per socket', async () => {
    const got = [aliceOnA, aliceOnB, bobOnB].map((socket) => collect(socket, 'hello'));
    await b.get(WebsocketBroadcastService).sendToUsers(['alice', 'bob', 'alice'], 'hello', 'all');
    await barrier(b, [aliceOnA, aliceOnB, bobOnB]); // to several rooms: the namespace's channel, as the barrier's
    expect(got).toEqual([['all'], ['all'], ['all']]);
  });

  it('joinUser resolves once every instance applied it, so an immediate sendToRoom reaches all', async () => {
    await a.get(RoomService).joinUser('alice', 'vip');
    const received = Promise.all([aliceOnA, aliceOnB].map((socket) => nextEvent(socket, 'vip', 2000)));
    const bobGot = collect(bobOnB, 'vip');

    await a.get(WebsocketBroadcastService).sendToRoom('vip', 'vip', 'welcome');

    expect(await received).toEqual(['welcome', 'welcome']);
    expect(await b.get(RoomService).members('vip')).toEqual(
      expect.arrayContaining([
        { socketId: aliceOnA.id, userId: 'alice' },
        { socketId: aliceOnB.id, userId: 'alice' },
      ]),
    );
    expect(await a.get(RoomService).count('vip')).toBe(2);
    // b has handled the room's message once its member there got a barrier on the room's channel; a
    // broadcast after that reaches bob behind anything b wrote him
    await barrier(a, [aliceOnB], (service) => service.sendToRoom('vip', 'barrier', null));
    await barrier(a, [bobOnB]);
    expect(bobGot).toEqual([]);

    await b.get(RoomService).leaveUser('alice', 'vip');
    expect(await a.get(RoomService).count('vip')).toBe(0);
  });

  it('sendToRoom leaves out the sender with except', async () => {
    await a.get(RoomService).joinUser('alice', 'lobby');
    await a.get(RoomService).joinUser('bob', 'lobby');
    const senderGot = collect(aliceOnA, 'said');
    const received = Promise.all([aliceOnB, bobOnB].map((socket) => nextEvent(socket, 'said')));

    expect(await aliceOnA.emitWithAck('say', { room: 'lobby', text: 'hi all' })).toBe('ok');

    expect(await received).toEqual(['hi all', 'hi all']);
    // on the room's channel: a's own sockets get room messages once its SPUBLISH settles, in channel order
    await barrier(a, [aliceOnA], (service) => service.sendToRoom('lobby', 'barrier', null));
    expect(senderGot).toEqual([]);
  });

  it('reaches the user from an HTTP controller on another instance', async () => {
    const received = Promise.all([aliceOnA, aliceOnB].map((socket) => nextEvent(socket, 'notification')));
    const port = (b.getHttpServer().address() as { port: number }).port;

    const response = await fetch(`http://127.0.0.1:${port}/notify/alice`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'your order shipped' }),
    });

    expect(await response.json()).toEqual({ sent: true });
    expect(await received).toEqual([{ text: 'your order shipped' }, { text: 'your order shipped' }]);
  });

  it('reaches clients from a worker process that serves no sockets (Redis emitter)', async () => {
    const worker = await NestFactory.createApplicationContext(hostModule({ imports: [RealtimeModule.forRoot({ redis: options.redis })] }), {
      logger: false,
    });
    bed.defer(() => worker.close());
    const received = Promise.all([aliceOnA, aliceOnB].map((socket) => nextEvent(socket, 'job:done')));
    const bobGot = collect(bobOnB, 'job:done');

    await worker.get(WebsocketBroadcastService).sendToUser('alice', 'job:done', { id: 7 });

    expect(await received).toEqual([{ id: 7 }, { id: 7 }]);
    // as above: on alice's channel to her tab on bob's instance, then to bob
    await barrier(a, [aliceOnB], (service) => service.sendToUser('alice', 'barrier', null));
    await barrier(a, [bobOnB]);
    expect(bobGot).toEqual([]);
    await expect(worker.get(RoomService).joinUser('alice', 'x')).rejects.toThrow('RoomService join needs a socket server in this process');
  });

  it('reaches rooms and single sockets from a worker process, binary data included', async () => {
    const worker = await NestFactory.createApplicationContext(hostModule({ imports: [RealtimeModule.forRoot({ redis: options.redis })] }), {
      logger: false,
    });
    bed.defer(() => worker.close());
    await a.get(RoomService).joinUser('alice', 'lobby');
    const files = Promise.all([aliceOnA, aliceOnB].map((socket) => nextEvent<{ bytes: Buffer }>(socket, 'file')));
    const note = nextEvent(aliceOnB, 'note');
    const broadcasts = worker.get(WebsocketBroadcastService);

    await broadcasts.sendToRoom('lobby', 'file', { bytes: Buffer.from([1, 2, 3]) });
    await broadcasts.sendToRoom(aliceOnB.id!, 'note', 'to this tab only'); // a socket's own room has no channel of its own

    expect((await files).map(({ bytes }) => [...bytes])).toEqual([
      [1, 2, 3],
      [1, 2, 3],
    ]);
    expect(await note).toBe('to this tab only');
  });

  it('reaches clients from a plain Node process (a queue worker) that exits by itself afterwards', async () => {
    const received = Promise.all([aliceOnA, aliceOnB].map((socket) => nextEvent<{ by: string }>(socket, 'job:done', 15_000)));

    await runWorker(library, { redis: options.redis }, 'alice'); // rejects if it fails or does not exit within 20 s

    expect((await received).map((event) => event.by)).toEqual(['worker', 'worker']);
  }, 30_000);

  it('requestFromUser collects the acks that came in time, leaving out a tab that does not answer', async () => {
    aliceOnA.on('confirm', (question: string, ack: (answer: string) => void) => ack(`A says yes to ${question}`));
    aliceOnB.on('confirm', (question: string, ack: (answer: string) => void) => ack(`B says yes to ${question}`));
    const silent = await bed.client(a, { token: signTestToken({ sub: 'alice' }, secret) });
    silent.on('confirm', () => undefined);

    const acks = await a.get(WebsocketBroadcastService).requestFromUser('alice', 'confirm', 'delete?', { timeoutMs: 500 });

    expect([...acks].sort()).toEqual(['A says yes to delete?', 'B says yes to delete?']);
  });

  it('rejects cluster-wide requests after redis.requestsTimeout when an instance does not answer', async () => {
    const requestsTimeout = 500;
    const quick = { ...options, redis: { ...options.redis, requestsTimeout } };
    const frozen = await InstanceProcess.start(library, quick);
    bed.defer(() => frozen.kill());
    const [asking] = await bed.apps(1, { options: quick, providers: [RoomsGateway] });
    await bed.client(frozen.url, { token: signTestToken({ sub: 'carol' }, secret) });
    // until the instance answers cluster-wide requests (on a Cluster, its subscriptions take a moment)
    while (
      (
        await asking
          .get(RoomService)
          .members('user:carol')
          .catch(() => [])
      ).length === 0
    );
    frozen.pause(); // counted as an instance, but answering nothing

    const startedAt = Date.now();
    await expect(asking.get(RoomService).members('lobby')).rejects.toThrow(/timeout/);
    await expect(asking.get(RoomService).joinUser('alice', 'vip')).rejects.toThrow(/timeout/);
    // the adapters' own timeouts are 5 s a request; this is both requests, with room for a slow machine
    expect(Date.now() - startedAt).toBeLessThan(4000);
    frozen.resume();
  });

  it('disconnectUser disconnects every socket of the user on every instance', async () => {
    const disconnected = Promise.all([aliceOnA, aliceOnB].map((socket) => nextEvent(socket, 'disconnect')));
    await b.get(RoomService).disconnectUser('alice');
    expect(await disconnected).toEqual(['io server disconnect', 'io server disconnect']);
    expect(bobOnB.connected).toBe(true);
  });
});

describe('rooms on one instance without Redis', () => {
  let bed: TestBed;
  beforeEach(() => (bed = new TestBed()));
  afterEach(() => bed.close());

  it('joinUser, members and broadcasting work with the in-memory adapter', async () => {
    const app = await bed.app({ options: { auth: { secret } }, providers: [RoomsGateway] });
    const carol = await bed.client(app, { token: signTestToken({ sub: 'carol' }, secret) });
    await app.get(RoomService).joinUser('carol', ['a', 'b']);
    expect(await app.get(RoomService).members('b')).toEqual([{ socketId: carol.id, userId: 'carol' }]);
    const received = nextEvent(carol, 'news');
    await app.get(WebsocketBroadcastService).sendToRoom(['a', 'b'], 'news', 'once');
    expect(await received).toBe('once');
  });

  it('hands the message to socket.io within the call, so it keeps its order with direct emits', async () => {
    const app = await bed.app({ options: { auth: { secret } }, providers: [RoomsGateway] });
    const dave = await bed.client(app, { token: signTestToken({ sub: 'dave' }, secret) });
    const steps = collect(dave, 'step');
    const second = new Promise((resolve) => dave.on('step', (step: number) => step === 2 && resolve(step)));

    dave.emit('two steps');
    await second;

    expect(steps).toEqual([1, 2]);
  });
});
