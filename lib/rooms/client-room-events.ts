import { Logger } from '@nestjs/common';
import type { Socket } from 'socket.io';
import { socketData } from '../auth/realtime-socket-data.js';
import { clientError } from '../errors/client-error.js';
import { isAck, type Ack } from '../errors/client-reply.js';
import { guardCallback } from '../errors/guard-callback.js';
import type { RealtimeRoomsOptions } from '../realtime-options.interface.js';
import { ROOM_JOIN_EVENT, ROOM_LEAVE_EVENT, USER_ROOM_PREFIX } from '../realtime.constants.js';

const logger = new Logger('RealtimeRooms');
const MAX_ROOM_NAME_LENGTH = 200;
const BAD_ROOM = clientError('BAD_REQUEST', 'Expected { room: string }');

/**
 * Lets the client join and leave rooms itself with `room:join` / `room:leave` `{ room }` and an ack,
 * as far as `authorize(user, room)` allows; `user:*` rooms are never client-joinable.
 */
export function handleClientRoomEvents(socket: Socket, options: RealtimeRoomsOptions): void {
  const reply = (ack: unknown): Ack => (isAck(ack) ? ack : () => undefined);
  socket.on(
    ROOM_JOIN_EVENT,
    guardCallback(logger, `"${ROOM_JOIN_EVENT}"`, async (body: unknown, ack: unknown) => {
      const room = roomOf(body);
      if (room === undefined) return reply(ack)(BAD_ROOM);
      const allowed = !room.startsWith(USER_ROOM_PREFIX) && (await isAuthorized(options, socket, room));
      if (!allowed) return reply(ack)(clientError('FORBIDDEN', `Not allowed to join ${room}`));
      await socket.join(room);
      reply(ack)({ status: 'ok' });
    }),
  );
  socket.on(
    ROOM_LEAVE_EVENT,
    guardCallback(logger, `"${ROOM_LEAVE_EVENT}"`, async (body: unknown, ack: unknown) => {
      const room = roomOf(body);
      if (room === undefined || room.startsWith(USER_ROOM_PREFIX)) return reply(ack)(BAD_ROOM);
      await socket.leave(room);
      reply(ack)({ status: 'ok' });
    }),
  );
}

function roomOf(body: unknown): string | undefined {
  const room = (body as { room?: unknown } | undefined)?.room;
  return typeof room === 'string' && room !== '' && room.length <= MAX_ROOM_NAME_LENGTH ? room : undefined;
}

async function isAuthorized(options: RealtimeRoomsOptions, socket: Socket, room: string): Promise<boolean> {
  try {
    return (await options.authorize(socketData(socket).user, room, socket)) === true;
  } catch {
    return false;
  }
}
