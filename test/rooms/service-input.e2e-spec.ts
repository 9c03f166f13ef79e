import type { INestApplication } from '@nestjs/common';
import type { Socket as ServerSocket } from 'socket.io';
import type { Socket } from 'socket.io-client';
import { RealtimeServerRegistry } from '../../lib/realtime-server.registry.js';
import { InvalidArgumentError } from '../../lib/errors/invalid-argument.error.js';
import { PresenceService, RoomService, WebsocketBroadcastService } from '../../lib/index.js';
import { connectClient, signTestToken } from '../../lib/testing/index.js';
import { nextEvent } from '../utils/events.js';
import { buildLibraryForInstances, InstanceProcess, type CompiledLibrary } from '../utils/instance-process.js';
import { TestBed } from '../utils/test-bed.js';
import { RoomsGateway } from './rooms.host.js';

const secret = 'service-input-secret';
const as = (sub: string) => ({ token: signTestToken({ sub }, secret) });
const BAD_ROOMS: [string, unknown][] = [
  ['an object', {}],
  ['a number', 5],
  ['an array with a number', ['a', 5]],
];

describe('client values that a host hands to the library as they come', () => {
  let library: CompiledLibrary;
  let instance: InstanceProcess;
  const clients: Socket[] = [];

  beforeAll(async () => {
    library = await buildLibraryForInstances();
    instance = await InstanceProcess.start(library, { auth: { secret } });
  }, 60_000);
  afterAll(async () => {
    clients.forEach((client) => client.close());
    await instance.kill();
    await library.remove();
  });

  const client = async (): Promise<Socket> => {
    const socket = await connectClient(instance.url, as('mallory'));
    clients.push(socket);
    return socket;
  };

  /** The answer to the message: its ack, or the `exception` event Nest sends for a failed handler. */
  const answerTo = (socket: Socket, event: string, body: unknown) =>
    new Promise((resolve) => {
      socket.once('exception', resolve);
      socket.emit(event, body, resolve);
    });

  it.each(BAD_ROOMS)(
    'survive %s as a room, through RoomService.join and through socket.join, and the instance keeps serving',
    async (_case, room) => {
      for (const event of ['join', 'join directly']) {
        const attacker = await client();
        await answerTo(attacker, event, { room });
        const gone = nextEvent(attacker, 'disconnect');
        attacker.close();
        await gone;

        const next = await client();
        expect(await next.timeout(5000).emitWithAck('join', { room: 'lobby' })).toBe('joined');
        expect(instance.running).toBe(true);
      }
    },
  );

  it('gets an error answer, not a join, when RoomService.join refuses the value', async () => {
    const attacker = await client();
    expect(await answerTo(attacker, 'join', { room: {} })).toMatchObject({ status: 'error' });
  });
});

describe('service input rules', () => {
  let bed: TestBed;
  let app: INestApplication;
  let socket: ServerSocket;

  beforeEach(async () => {
    bed = new TestBed();
    app = await bed.app({ options: { auth: { secret } }, providers: [RoomsGateway] });
    const client = await bed.client(app, as('alice'));
    socket = app.get(RealtimeServerRegistry).server!.of('/').sockets.get(client.id!)!;
  });
  afterEach(() => bed.close());

  const bad = <T>(value: unknown) => value as T;

  it.each(BAD_ROOMS)('refuses %s as a room in every RoomService method, before touching a socket', async (_case, room) => {
    const rooms = app.get(RoomService);
    const calls = [
      rooms.join(socket, bad(room)),
      rooms.leave(socket, bad(room)),
      rooms.joinUser('alice', bad(room)),
      rooms.leaveUser('alice', bad(room)),
      rooms.members(bad(room)),
      rooms.count(bad(room)),
    ];
    for (const call of calls) await expect(call).rejects.toBeInstanceOf(InvalidArgumentError);
    expect([...socket.rooms].sort()).toEqual([socket.id, 'user:alice'].sort());
  });

  it('says what was wrong and what was given', async () => {
    const rooms = app.get(RoomService);
    await expect(rooms.join(socket, bad({}))).rejects.toThrow(
      'RoomService.join(): "room" must be a non-empty string or a non-empty array of them, got the object {}.',
    );
    await expect(rooms.join(socket, bad(['a', 5]))).rejects.toThrow(
      `RoomService.join(): "room" must be a non-empty string or a non-empty array of them, got the array [ 'a', 5 ].`,
    );
    await expect(rooms.leave(socket, '')).rejects.toThrow(`RoomService.leave(): "room" must be a non-empty string, got the string "".`);
    await expect(rooms.joinUser(bad(undefined), 'lobby')).rejects.toThrow(
      'RoomService.joinUser(): "userId" must be a non-empty string, got undefined.',
    );
    await expect(app.get(WebsocketBroadcastService).sendToUsers(bad('alice'), 'x', 1)).rejects.toThrow(
      `WebsocketBroadcastService.sendToUsers(): "userIds" must be an array of non-empty strings, got the string "alice".`,
    );
  });

  it('refuses user:* rooms in join and points to joinUser and sendToUser', async () => {
    await expect(app.get(RoomService).join(socket, ['lobby', 'user:bob'])).rejects.toThrow(
      'RoomService.join(): "user:bob" is a user\'s own room, which only the handshake puts sockets in. ' +
        'To put every socket of a user in a room use RoomService.joinUser(userId, room); to reach a user use WebsocketBroadcastService.sendToUser(userId, ...).',
    );
    expect(socket.rooms.has('lobby')).toBe(false);
  });

  it('refuses bad user ids, rooms and event names in the broadcast and presence services', async () => {
    const broadcast = app.get(WebsocketBroadcastService);
    const presence = app.get(PresenceService);
    const calls = [
      broadcast.broadcast(bad(7), 'data'),
      broadcast.sendToUser(bad({}), 'event', 'data'),
      broadcast.sendToUser('alice', bad(''), 'data'),
      broadcast.sendToUsers(bad(['alice', null]), 'event', 'data'),
      broadcast.sendToRoom(bad(['a', 5]), 'event', 'data'),
      broadcast.sendToRoom(bad([]), 'event', 'data'),
      broadcast.requestFromUser(bad(5), 'event', 'data'),
      presence.isOnline(bad(5)),
      presence.onlineIn(bad({})),
      app.get(RoomService).disconnectUser(bad([])),
    ];
    for (const call of calls) await expect(call).rejects.toBeInstanceOf(InvalidArgumentError);
  });
});
