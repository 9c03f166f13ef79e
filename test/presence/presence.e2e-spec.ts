import type { INestApplication } from '@nestjs/common';
import { PresenceService, RedisNotConnectedError, RoomService, type PresenceDiff, type RealtimePresenceOptions } from '../../lib/index.js';
import type { Socket } from 'socket.io-client';
import { signTestToken } from '../../lib/testing/index.js';
import { RoomsGateway } from '../rooms/rooms.host.js';
import { collect, nextEvent } from '../utils/events.js';
import { buildLibraryForInstances, InstanceProcess, type CompiledLibrary } from '../utils/instance-process.js';
import { REDIS_DEPLOYMENTS, type RedisDeployment } from '../utils/redis-deployments.js';
import { RedisServer } from '../utils/redis-server.js';
import { TestBed, uniquePrefix } from '../utils/test-bed.js';

const secret = 'presence-test-secret';
const as = (sub: string) => ({ token: signTestToken({ sub }, secret) });

/** Resolves once the `presence:diff`s collected in `diffs` have `count` users leaving. */
async function untilLeft(socket: Socket, diffs: PresenceDiff[], count: number, timeoutMs: number): Promise<void> {
  const left = () => diffs.reduce((sum, diff) => sum + diff.left.length, 0);
  while (left() < count) await nextEvent(socket, 'presence:diff', timeoutMs);
}

/** Presence is written after the socket event; this waits for what other instances will see. */
async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`never became true: ${what}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

let library: CompiledLibrary; // for instance processes, built once for every deployment
beforeAll(async () => (library = await buildLibraryForInstances()), 60_000);
afterAll(() => library.remove());

describe.each(REDIS_DEPLOYMENTS)('presence across instances (%s)', (deployment, start) => {
  let redis: RedisDeployment;
  let bed: TestBed;
  let keyPrefix: string;
  let a: INestApplication;
  let b: INestApplication;

  beforeAll(async () => (redis = await start()), 30_000);
  afterAll(() => redis.stop());
  beforeEach(async () => {
    bed = new TestBed();
    keyPrefix = uniquePrefix('presence');
    [a, b] = await bed.apps(2, { options: options(), providers: [RoomsGateway] });
  });
  afterEach(() => bed.close());

  const options = (ttlMs = 30_000, presence: RealtimePresenceOptions = {}) => ({
    redis: redis.options(keyPrefix),
    auth: { secret },
    presence: { ttlMs, ...presence },
  });

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

  it("with roomEvents 'each', tells room members when a user first enters and last leaves, across instances", async () => {
    [a, b] = await bed.apps(2, { options: options(30_000, { roomEvents: 'each' }), providers: [RoomsGateway] });
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
    const diffs = watchers.map((watcher) => collect<PresenceDiff>(watcher, 'presence:diff'));
    const users = Array.from({ length: 10 }, (_, i) => `doomed${i}`);
    await Promise.all(users.map((user) => bed.client(doomed.url, as(user))));
    const rooms = survivors[0].get(RoomService);
    await Promise.all(['watcher0', 'watcher1'].map((user) => rooms.joinUser(user, 'lobby')));
    await Promise.all(users.map((user) => rooms.joinUser(user, 'lobby')));
    const joinedOf = (received: PresenceDiff[]) => received.flatMap((diff) => diff.joined);
    const leftOf = (received: PresenceDiff[]) => received.flatMap((diff) => diff.left.map((userId) => `${diff.room}:${userId}`));
    for (const [i, watcher] of watchers.entries())
      while (!users.every((user) => joinedOf(diffs[i]).includes(user))) await nextEvent(watcher, 'presence:diff');

    await doomed.kill();
    const killedAt = Date.now();
    await Promise.all(watchers.map((watcher, i) => untilLeft(watcher, diffs[i], users.length, ttlMs * 3)));
    const tookMs = Date.now() - killedAt;
    // Both survivors sweep every ttlMs / 3; after two more rounds of each, none may announce a user again.
    await new Promise((resolve) => setTimeout(resolve, ttlMs));

    console.log(
      `left after SIGKILL: ${diffs.map((got) => leftOf(got).length).join(' and ')} of ${users.length} per watcher, the last after ${tookMs} ms`,
    );
    for (const got of diffs) {
      expect(leftOf(got).sort()).toEqual(users.map((userId) => `lobby:${userId}`).sort());
      expect(
        joinedOf(got)
          .filter((user) => user.startsWith('doomed'))
          .sort(),
      ).toEqual([...users].sort()); // each once
    }
    expect(tookMs).toBeLessThanOrEqual(ttlMs + ttlMs / 3 + 1000);
    expect((await survivors[1].get(PresenceService).onlineIn('lobby')).sort()).toEqual(['watcher0', 'watcher1']);
  });

  it('tells room members who entered and left in one presence:diff per interval, with the net changes only', async () => {
    [a, b] = await bed.apps(2, { options: options(30_000, { diffIntervalMs: 200 }), providers: [RoomsGateway] });
    const bob = await bed.client(b, as('bob'));
    await b.get(RoomService).joinUser('bob', 'lobby');
    expect(await nextEvent(bob, 'presence:diff')).toEqual({ room: 'lobby', joined: ['bob'], left: [] });
    const diffs = collect<PresenceDiff>(bob, 'presence:diff');
    const [carol, dave, erin] = await Promise.all(['carol', 'dave', 'erin'].map((user) => bed.client(a, as(user))));

    const next = nextEvent(bob, 'presence:diff');
    await Promise.all(['carol', 'dave', 'erin'].map((user) => a.get(RoomService).joinUser(user, 'lobby')));
    await a.get(RoomService).leaveUser('erin', 'lobby'); // came and went within the interval: no change to tell
    expect(await next).toEqual({ room: 'lobby', joined: expect.arrayContaining(['carol', 'dave']), left: [] });
    expect(diffs[0].joined).toHaveLength(2);

    const left = nextEvent(bob, 'presence:diff');
    carol.close();
    dave.close();
    expect(await left).toEqual({ room: 'lobby', joined: [], left: expect.arrayContaining(['carol', 'dave']) });
    expect(diffs.length).toBe(2);
    erin.close();
  });

  it('sends a big room a bounded number of diffs, whatever the number of users entering it', async () => {
    const diffIntervalMs = 100;
    const [app] = await bed.apps(1, { options: options(30_000, { diffIntervalMs }), providers: [RoomsGateway] });
    const first = await bed.client(app, as('first'));
    await app.get(RoomService).joinUser('first', 'stage');
    await nextEvent(first, 'presence:diff');
    const diffs = collect<PresenceDiff>(first, 'presence:diff');
    const users = Array.from({ length: 300 }, (_, i) => `fan${i}`);
    const startedAt = Date.now();

    for (let i = 0; i < users.length; i += 50) {
      const batch = users.slice(i, i + 50);
      await Promise.all(batch.map((user) => bed.client(app, as(user))));
      await Promise.all(batch.map((user) => app.get(RoomService).joinUser(user, 'stage')));
    }
    while (diffs.flatMap((diff) => diff.joined).length < users.length) await nextEvent(first, 'presence:diff');
    const elapsedMs = Date.now() - startedAt;

    // With one event per user entering, the first member alone would get 300; each later one as many as came after it.
    console.log(`300 users entering one room: ${diffs.length} presence:diff in ${elapsedMs} ms to its first member`);
    expect(diffs.length).toBeLessThanOrEqual(Math.ceil(elapsedMs / diffIntervalMs) + 1);
    expect(diffs.flatMap((diff) => diff.joined).sort()).toEqual([...users].sort());
  });

  it("lets the app choose per room, e.g. no presence events in a live event's room", async () => {
    const roomEvents = (room: string) => (room.startsWith('live:') ? false : 'diff');
    const [app] = await bed.apps(1, { options: options(30_000, { roomEvents }), providers: [RoomsGateway] });
    const host = await bed.client(app, as('host'));
    const rooms = app.get(RoomService);
    await rooms.joinUser('host', ['live:final', 'backstage']);
    expect(await nextEvent(host, 'presence:diff')).toEqual({ room: 'backstage', joined: ['host'], left: [] });
    const diffs = collect<PresenceDiff>(host, 'presence:diff');
    await bed.client(app, as('fan'));

    await rooms.joinUser('fan', 'live:final');
    await rooms.joinUser('host', 'green-room'); // an event after the one that must not come

    expect(await nextEvent(host, 'presence:diff')).toEqual({ room: 'green-room', joined: ['host'], left: [] });
    expect(diffs).toEqual([{ room: 'green-room', joined: ['host'], left: [] }]);
    expect(await app.get(PresenceService).onlineIn('live:final')).toEqual(expect.arrayContaining(['host', 'fan']));
  });

  it('keeps connected users online past presence.ttlMs, in every scope, with the heartbeat', async () => {
    const ttlMs = 1000;
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

    expect((await redis.keys(keyPrefix)).length).toBeGreaterThan(0); // what the check below would see
    await bed.close();

    expect(await redis.keys(keyPrefix)).toEqual([]);
  });

  it('spreads who is online over many keys (slots on a Cluster), none holding every user', async () => {
    const users = Array.from({ length: 40 }, (_, i) => `user${i}`);
    await Promise.all(users.map((user, i) => bed.client(i % 2 ? a : b, as(user))));
    await until(async () => (await a.get(PresenceService).online()).length === users.length, 'everyone online');

    expect((await b.get(PresenceService).online()).sort()).toEqual([...users].sort());
    const perNode = (await redis.keysPerNode(`${keyPrefix}:presence:online:`)).map((keys) => keys.filter((key) => key.endsWith('}:users')));
    const online = perNode.flat();
    expect(online.length).toBeGreaterThanOrEqual(10); // of 16 scopes; 40 users hashed into fewer than 10 would be a bad hash
    if (deployment.includes('Cluster')) expect(perNode.map((keys) => keys.length > 0)).toEqual([true, true, true]); // every master
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
    const app = await bed.app({
      options: { redis: { url, keyPrefix: uniquePrefix('presence-outage') }, auth: { secret } },
      providers: [RoomsGateway],
    });
    await bed.client(app, as('gina'));
    const presence = app.get(PresenceService);
    await until(() => presence.isOnline('gina'), 'gina online');

    await redis.stop();
    await Promise.all([
      bed.logger.waitFor(/presence is not updated until it returns/),
      bed.logger.waitFor(/cross-instance messages are dropped/),
    ]);
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
    await expect(app.get(PresenceService).isOnline('x')).rejects.toThrow(
      'Presence is turned off (RealtimeModule option "presence" is false)',
    );
  });
});
