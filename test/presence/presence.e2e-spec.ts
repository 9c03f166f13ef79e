import type { INestApplication } from '@nestjs/common';
import { Redis } from 'ioredis';
import { PresenceService, RedisNotConnectedError, RoomService } from '../../lib/index.js';
import { signTestToken } from '../../lib/testing/index.js';
import { RoomsGateway } from '../rooms/rooms.host.js';
import { collect, nextEvent, untilCount } from '../utils/events.js';
import { buildLibraryForInstances, InstanceProcess, type CompiledLibrary } from '../utils/instance-process.js';
import { RedisServer, testRedis } from '../utils/redis-server.js';
import { TestBed, uniquePrefix } from '../utils/test-bed.js';

const secret = 'presence-test-secret';
const as = (sub: string) => ({ token: signTestToken({ sub }, secret) });

/** Presence is written after the socket event; this waits for what other instances will see. */
async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`never became true: ${what}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe('presence across instances', () => {
  let redis: Awaited<ReturnType<typeof testRedis>>;
  let library: CompiledLibrary;
  let admin: Redis;
  let bed: TestBed;
  let keyPrefix: string;
  let a: INestApplication;
  let b: INestApplication;

  beforeAll(async () => {
    [redis, library] = await Promise.all([testRedis(), buildLibraryForInstances()]);
    admin = new Redis(redis.url);
  }, 60_000);
  afterAll(async () => {
    await admin.quit();
    await library.remove();
    await redis.stop();
  });
  beforeEach(async () => {
    bed = new TestBed();
    keyPrefix = uniquePrefix('presence');
    [a, b] = await bed.apps(2, { options: options(), providers: [RoomsGateway] });
  });
  afterEach(() => bed.close());

  const options = (ttlMs = 30_000) => ({ redis: { url: redis.url, keyPrefix }, auth: { secret }, presence: { ttlMs } });

  it('follows a user through connect, a second tab, closing one tab and closing the last', async () => {
    const presence = b.get(PresenceService);
    expect(await presence.isOnline('alice')).toBe(false);

    const tab1 = await bed.client(a, as('alice'));
    await until(() => presence.isOnline('alice'), 'alice online');
    const tab2 = await bed.client(b, as('alice'));
    expect(await a.get(PresenceService).online()).toEqual(['alice']);

    tab1.close();
    await until(async () => (await presence.isOnline('alice')) && tab2.connected, 'alice still online');
    tab2.close();
    await until(async () => !(await presence.isOnline('alice')), 'alice offline');
    expect(await presence.online()).toEqual([]);
  });

  it('tells room members when a user first enters and last leaves, across instances', async () => {
    const bob = await bed.client(b, as('bob'));
    const bobJoined = nextEvent(bob, 'presence:join');
    await b.get(RoomService).joinUser('bob', 'lobby');
    expect(await bobJoined).toEqual({ room: 'lobby', userId: 'bob' });
    const events = collect(bob, 'presence:join');
    const leaves = collect(bob, 'presence:leave');
    const aliceTab1 = await bed.client(a, as('alice'));
    const aliceTab2 = await bed.client(b, as('alice'));

    const joined = nextEvent(bob, 'presence:join');
    await a.get(RoomService).joinUser('alice', 'lobby'); // both of alice's tabs enter
    expect(await joined).toEqual({ room: 'lobby', userId: 'alice' });
    expect((await a.get(PresenceService).onlineIn('lobby')).sort()).toEqual(['alice', 'bob']);

    const left = nextEvent(bob, 'presence:leave');
    aliceTab1.close();
    aliceTab2.close();
    expect(await left).toEqual({ room: 'lobby', userId: 'alice' });
    expect(events).toEqual([{ room: 'lobby', userId: 'alice' }]); // once, not once per tab
    expect(leaves).toEqual([{ room: 'lobby', userId: 'alice' }]);
    expect(await b.get(PresenceService).onlineIn('lobby')).toEqual(['bob']);
  });

  it('lets a SIGKILLed instance’s users go offline within presence.ttlMs', async () => {
    const ttlMs = 1500;
    const doomed = await InstanceProcess.start(library, options(ttlMs));
    bed.defer(() => doomed.kill());
    const survivor = await bed.app({ options: options(ttlMs), providers: [RoomsGateway] });
    await bed.client(doomed.url, as('carol'));
    await bed.client(survivor, as('dave'));
    const presence = survivor.get(PresenceService);
    await until(() => presence.isOnline('carol'), 'carol online');

    await doomed.kill();
    const killedAt = Date.now();

    await until(async () => !(await presence.isOnline('carol')), 'carol offline');
    expect(Date.now() - killedAt).toBeLessThanOrEqual(ttlMs + 1000);
    expect(await presence.online()).toEqual(['dave']);
  });

  it('tells room members presence:leave for each user of a SIGKILLed instance, once cluster-wide, within ttlMs and a sweep', async () => {
    const ttlMs = 1500;
    const doomed = await InstanceProcess.start(library, options(ttlMs));
    bed.defer(() => doomed.kill());
    const survivors = await bed.apps(2, { options: options(ttlMs), providers: [RoomsGateway] });
    const watchers = await Promise.all(survivors.map((app, i) => bed.client(app, as(`watcher${i}`))));
    const users = Array.from({ length: 10 }, (_, i) => `doomed${i}`);
    await Promise.all(users.map((user) => bed.client(doomed.url, as(user))));
    const rooms = survivors[0].get(RoomService);
    await Promise.all(['watcher0', 'watcher1', ...users].map((user) => rooms.joinUser(user, 'lobby')));
    const presence = survivors[1].get(PresenceService);
    await until(async () => (await presence.onlineIn('lobby')).length === users.length + 2, 'all in the lobby');
    const leaves = watchers.map((watcher) => collect<{ room: string; userId: string }>(watcher, 'presence:leave'));

    await doomed.kill();
    const killedAt = Date.now();
    await Promise.all(watchers.map((watcher, i) => untilCount(watcher, 'presence:leave', leaves[i], users.length, ttlMs * 3)));
    const tookMs = Date.now() - killedAt;
    // Both survivors sweep every ttlMs / 3; after two more rounds of each, none may announce a user again.
    await new Promise((resolve) => setTimeout(resolve, ttlMs));

    console.log(`presence:leave after SIGKILL: ${leaves.map((got) => got.length).join(' and ')} of ${users.length} per watcher, the last after ${tookMs} ms`);
    for (const got of leaves) expect(got.sort((x, y) => x.userId.localeCompare(y.userId))).toEqual(users.sort().map((userId) => ({ room: 'lobby', userId })));
    expect(tookMs).toBeLessThanOrEqual(ttlMs + ttlMs / 3 + 1000);
    expect((await presence.onlineIn('lobby')).sort()).toEqual(['watcher0', 'watcher1']);
  });

  it('keeps connected users online past presence.ttlMs, in every scope, with the heartbeat', async () => {
    const ttlMs = 600;
    const app = await bed.app({ options: options(ttlMs), providers: [RoomsGateway] });
    await bed.client(app, as('frank'));
    await app.get(RoomService).joinUser('frank', 'lobby');
    const presence = app.get(PresenceService);
    await until(async () => (await presence.onlineIn('lobby')).includes('frank'), 'frank in the lobby');

    // Without a heartbeat every entry lapses after ttlMs; this waits out several of them.
    await new Promise((resolve) => setTimeout(resolve, 3 * ttlMs));

    expect(await presence.isOnline('frank')).toBe(true);
    expect(await presence.onlineIn('lobby')).toEqual(['frank']);
  });

  it('leaves no presence keys behind after a clean shutdown', async () => {
    await bed.client(a, as('erin'));
    await b.get(RoomService).joinUser('erin', 'room-1');
    await until(() => b.get(PresenceService).isOnline('erin'), 'erin online');

    await bed.close();

    expect(await admin.keys(`${keyPrefix}:*`)).toEqual([]);
  });
});

describe('presence through a Redis outage', () => {
  let redis: RedisServer;
  let bed: TestBed;

  beforeEach(async () => {
    redis = await RedisServer.start(['--requirepass', 'sesame']); // our own: the test stops it
    bed = new TestBed();
  });
  afterEach(async () => {
    await bed.close();
    await redis.stop();
  });

  it('rejects service calls with RedisNotConnectedError while Redis is down, and has users online again within about a second of its return', async () => {
    const url = `redis://:sesame@127.0.0.1:${redis.port}`;
    // The default ttlMs: the heartbeat comes every 10 s, so only the re-registration can be this quick.
    const app = await bed.app({ options: { redis: { url, keyPrefix: uniquePrefix('presence-outage') }, auth: { secret } }, providers: [RoomsGateway] });
    await bed.client(app, as('gina'));
    const presence = app.get(PresenceService);
    await until(() => presence.isOnline('gina'), 'gina online');

    await redis.stop();
    await bed.logger.waitFor(/presence is not updated until it returns/);
    const error = (await presence.isOnline('gina').catch((thrown: unknown) => thrown)) as Error;
    expect(error).toBeInstanceOf(RedisNotConnectedError);
    expect(error.message).toBe(
      `Redis at redis://:***@127.0.0.1:${redis.port} is not connected right now (presence); this is temporary, the connection is retried by itself. ` +
        'Retry the call later, or answer 503 Service Unavailable.',
    );
    await expect(presence.online()).rejects.toBeInstanceOf(RedisNotConnectedError);
    await expect(app.get(RoomService).joinUser('gina', 'lobby')).rejects.toBeInstanceOf(RedisNotConnectedError);
    await expect(app.get(RoomService).members('lobby')).rejects.toBeInstanceOf(RedisNotConnectedError);

    await redis.start(); // empty: the server keeps nothing on disk
    const startedAt = Date.now();
    await until(() => presence.isOnline('gina').catch(() => false), 'gina online again');
    const tookMs = Date.now() - startedAt;
    console.log(`presence back ${tookMs} ms after Redis restarted`);
    expect(tookMs).toBeLessThan(2000);
  });
});

describe('presence on one instance without Redis', () => {
  let bed: TestBed;
  beforeEach(() => (bed = new TestBed()));
  afterEach(() => bed.close());

  it('uses the in-memory store behind the same API', async () => {
    const app = await bed.app({ options: { auth: { secret } }, providers: [RoomsGateway] });
    const presence = app.get(PresenceService);
    const tab = await bed.client(app, as('frank'));
    expect(await presence.isOnline('frank')).toBe(true);
    await app.get(RoomService).joinUser('frank', 'den');
    expect(await presence.onlineIn('den')).toEqual(['frank']);
    const gone = nextEvent(tab, 'disconnect');
    await app.get(RoomService).disconnectUser('frank');
    await gone;
    expect(await presence.isOnline('frank')).toBe(false);
  });

  it('refuses to answer when presence is turned off', async () => {
    const app = await bed.app({ options: { presence: false } });
    await expect(app.get(PresenceService).isOnline('x')).rejects.toThrow('Presence is turned off (RealtimeModule option "presence" is false)');
  });
});
