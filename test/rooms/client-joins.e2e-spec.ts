import type { INestApplication } from '@nestjs/common';
import type { Socket } from 'socket.io-client';
import { RoomService } from '../../lib/index.js';
import { signTestToken } from '../../lib/testing/index.js';
import { testRedis } from '../utils/redis-server.js';
import { TestBed, uniquePrefix } from '../utils/test-bed.js';
import { RoomsGateway } from './rooms.host.js';

const secret = 'client-joins-secret';
const authorize = (user: { roles?: string[] }, room: string) => room.startsWith('public:') || Boolean(user.roles?.includes('admin'));

describe('client-driven room joins', () => {
  let bed: TestBed;
  beforeEach(() => (bed = new TestBed()));
  afterEach(() => bed.close());

  it('joins what authorize() allows and refuses the rest, user:* rooms always', async () => {
    const app = await bed.app({ options: { auth: { secret }, rooms: { authorize } }, providers: [RoomsGateway] });
    const member = await bed.client(app, { token: signTestToken({ sub: 'mia' }, secret) });
    const admin = await bed.client(app, { token: signTestToken({ sub: 'ada', roles: ['admin'] }, secret) });

    expect(await member.emitWithAck('room:join', { room: 'public:lobby' })).toEqual({ status: 'ok' });
    expect(await member.emitWithAck('room:join', { room: 'staff' })).toEqual({
      status: 'error',
      code: 'FORBIDDEN',
      message: 'Not allowed to join staff',
    });
    expect(await admin.emitWithAck('room:join', { room: 'staff' })).toEqual({ status: 'ok' });
    expect(await admin.emitWithAck('room:join', { room: 'user:mia' })).toEqual({
      status: 'error',
      code: 'FORBIDDEN',
      message: 'Not allowed to join user:mia',
    });
    expect(await member.emitWithAck('room:join', { room: 42 })).toEqual({
      status: 'error',
      code: 'BAD_REQUEST',
      message: 'Expected { room: string }',
    });
    expect(await app.get(RoomService).members('staff')).toEqual([{ socketId: admin.id, userId: 'ada' }]);
    expect(await app.get(RoomService).count('user:mia')).toBe(1);

    expect(await member.emitWithAck('room:leave', { room: 'public:lobby' })).toEqual({ status: 'ok' });
    expect(await member.emitWithAck('room:leave', { room: 'user:mia' })).toEqual({
      status: 'error',
      code: 'BAD_REQUEST',
      message: 'Expected { room: string }',
    });
    expect(await app.get(RoomService).count('public:lobby')).toBe(0);
    expect(await app.get(RoomService).count('user:mia')).toBe(1);
  });

  it('does not handle room events unless rooms.authorize is configured', async () => {
    const app = await bed.app({ options: { auth: { secret } }, providers: [RoomsGateway] });
    const member = await bed.client(app, { token: signTestToken({ sub: 'mia' }, secret) });
    member.emit('room:join', { room: 'public:lobby' });
    expect(await member.emitWithAck('say', { room: 'nowhere', text: '' })).toBe('ok'); // the join was handled before this, if at all
    expect(await app.get(RoomService).count('public:lobby')).toBe(0);
  });
});

describe('1,000 sockets joining and leaving at once, over two instances', () => {
  let redis: Awaited<ReturnType<typeof testRedis>>;
  let bed: TestBed;
  let apps: INestApplication[];
  const sockets: Socket[] = [];

  beforeAll(async () => {
    redis = await testRedis();
    bed = new TestBed();
    const options = {
      redis: { url: redis.url, keyPrefix: uniquePrefix('concurrent') },
      auth: { secret },
      rooms: { authorize },
      rateLimit: false as const,
    };
    apps = await bed.apps(2, { options, providers: [RoomsGateway] });
    for (let batch = 0; batch < 10; batch++) {
      const connected = Array.from({ length: 100 }, (_, i) =>
        bed.client(apps[i % 2], { token: signTestToken({ sub: `u${batch * 100 + i}` }, secret) }),
      );
      sockets.push(...(await Promise.all(connected)));
    }
  }, 60_000);
  afterAll(async () => {
    // Servers first, as in a real shutdown: 1,000 client-initiated closes racing the server's own
    // shutdown left WebSocket close timers running after the test.
    for (const app of apps) await app.close();
    await bed.close();
    await redis.stop();
  });

  it('leaves exactly the expected membership, seen the same from both instances', async () => {
    const rooms = Array.from({ length: 10 }, (_, i) => `public:r${i}`);
    // every socket joins three rooms and leaves one of them, all at once
    await Promise.all(
      sockets.map(async (socket, i) => {
        const mine = [rooms[i % 10], rooms[(i + 3) % 10], rooms[(i + 7) % 10]];
        await Promise.all(mine.map((room) => socket.emitWithAck('room:join', { room })));
        await socket.emitWithAck('room:leave', { room: mine[1] });
      }),
    );

    const expected = new Map(rooms.map((room) => [room, new Set<string>()]));
    sockets.forEach((socket, i) => [i % 10, (i + 7) % 10].forEach((r) => expected.get(rooms[r])!.add(socket.id!)));
    for (const room of rooms) {
      for (const app of apps) {
        const members = await app.get(RoomService).members(room);
        expect(new Set(members.map((member) => member.socketId))).toEqual(expected.get(room));
      }
    }
  }, 60_000);
});
