import type { INestApplication } from '@nestjs/common';
import { Redis } from 'ioredis';
import { readdirSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Namespace } from 'socket.io';
import { RealtimeServerRegistry } from '../../lib/realtime-server.registry.js';
import { PresenceService, RoomService } from '../../lib/index.js';
import { connectClient, signTestToken } from '../../lib/testing/index.js';
import { nextEvent } from '../utils/events.js';
import { testRedis } from '../utils/redis-server.js';
import { TestBed, uniquePrefix } from '../utils/test-bed.js';
import { RoomsGateway } from '../rooms/rooms.host.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const secret = 'churn-secret';
const CYCLES = 1000;
const AT_ONCE = 50;

/** What a connection may leave behind in this process, once the closed TCP connections are gone. */
async function footprint(app: INestApplication, namespace: Namespace) {
  const server = app.getHttpServer() as { getConnections(callback: (error: Error | null, count: number) => void): void };
  const openConnections = () => new Promise<number>((resolve) => server.getConnections((_error, count) => resolve(count)));
  while ((await openConnections()) > 0) await new Promise((resolve) => setTimeout(resolve, 10));
  gc();
  return {
    heapBytes: process.memoryUsage().heapUsed,
    fileDescriptors: readdirSync('/proc/self/fd').length,
    sockets: namespace.sockets.size,
    rooms: namespace.adapter.rooms.size,
    listeners:
      namespace.adapter.eventNames().reduce((sum, event) => sum + namespace.adapter.listenerCount(event), 0) +
      namespace.listenerCount('connection'),
  };
}

describe('many connections coming and going', () => {
  let redis: Awaited<ReturnType<typeof testRedis>>;
  let bed: TestBed;
  let app: INestApplication;
  let keyPrefix: string;
  let admin: Redis;

  beforeAll(async () => {
    redis = await testRedis();
    admin = new Redis(redis.url);
    bed = new TestBed();
    keyPrefix = uniquePrefix('churn');
    app = await bed.app({ options: { redis: { url: redis.url, keyPrefix }, auth: { secret } }, providers: [RoomsGateway] });
  });
  afterAll(async () => {
    await bed.close();
    await admin.quit();
    await redis.stop();
  });

  /** Connects `count` users, puts each in two rooms and disconnects them all, `AT_ONCE` at a time. */
  async function churn(count: number, from: number): Promise<void> {
    const rooms = app.get(RoomService);
    for (let batch = from; batch < from + count; batch += AT_ONCE) {
      const users = Array.from({ length: AT_ONCE }, (_, i) => `user${batch + i}`);
      const clients = await Promise.all(users.map((sub) => connectClient(app, { token: signTestToken({ sub }, secret) })));
      await Promise.all(users.map((user, i) => rooms.joinUser(user, ['lobby', `room${i % 5}`])));
      // Presence reaches Redis a little after the joins (changes are written together, at most every
      // 50 ms): until the last batch's is there, "no keys" below may only mean it has not arrived yet.
      if (batch + AT_ONCE >= from + count) await presenceWritten(users);
      await Promise.all(
        clients.map((client) => {
          const gone = nextEvent(client, 'disconnect');
          client.close();
          return gone;
        }),
      );
    }
    // Presence is removed after the disconnects, every scope on its own; well before the keys' own TTL
    // (30 s) would clear a leak, every key must be gone.
    const deadline = Date.now() + 10_000;
    while ((await presenceKeys()).length > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  }

  /** Waits until Redis has each of `users` online and in the two rooms `churn` put it in. */
  async function presenceWritten(users: string[]): Promise<void> {
    const presence = app.get(PresenceService);
    const written = async () => {
      const [online, lobby, ...byRoom] = await Promise.all([
        presence.online(),
        presence.onlineIn('lobby'),
        ...[0, 1, 2, 3, 4].map((i) => presence.onlineIn(`room${i}`)),
      ]);
      return users.every((user, i) => online.includes(user) && lobby.includes(user) && byRoom[i % 5].includes(user));
    };
    const deadline = Date.now() + 5000;
    while (!(await written())) {
      if (Date.now() > deadline) throw new Error(`presence of ${users[0]}..${users.at(-1)} not in Redis after 5 s`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  const presenceKeys = () => admin.keys(`{${keyPrefix}:*`);

  it(`leaves heap, listeners, file descriptors and Redis keys as they were after ${CYCLES} connect/disconnect cycles with rooms and presence`, async () => {
    const namespace = app.get(RealtimeServerRegistry).server!.of('/');
    await churn(200, 0); // warm-up: lazy connections, JIT, pools
    const before = await footprint(app, namespace);

    await churn(CYCLES, 200);
    const after = await footprint(app, namespace);

    console.log(
      `after ${CYCLES} cycles: heap ${((after.heapBytes - before.heapBytes) / 1024).toFixed(0)} KB more, fds ${before.fileDescriptors} -> ${after.fileDescriptors}`,
    );
    expect({ ...after, heapBytes: 0 }).toEqual({ ...before, heapBytes: 0, sockets: 0, rooms: 0 });
    // One socket costs over 10 KB here, so a leak of even a third of them shows well above this.
    expect(after.heapBytes - before.heapBytes).toBeLessThan(3 * 1024 * 1024);
    expect(await presenceKeys()).toEqual([]);
    expect(await app.get(PresenceService).online()).toEqual([]);
  });
});
