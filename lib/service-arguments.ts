import { describeValue } from './errors/describe-value.js';
import { InvalidArgumentError } from './errors/invalid-argument.error.js';
import { USER_ROOM_PREFIX } from './realtime.constants.js';

/** Throws unless `value` is a non-empty string: a room name, user id or event name. */
export function requireName(value: unknown, method: string, argument: string): asserts value is string {
  if (!isName(value)) throw new InvalidArgumentError(method, `"${argument}" must be a non-empty string, got ${describeValue(value)}.`);
}

/** Throws unless `value` is an array (possibly empty) of non-empty strings. */
export function requireNameList(value: unknown, method: string, argument: string): asserts value is string[] {
  if (!Array.isArray(value) || !value.every(isName)) {
    throw new InvalidArgumentError(method, `"${argument}" must be an array of non-empty strings, got ${describeValue(value)}.`);
  }
}

/** Throws unless `value` is a non-empty string or a non-empty array of them. */
export function requireNames(value: unknown, method: string, argument: string): asserts value is string | string[] {
  if (isName(value) || (Array.isArray(value) && value.length > 0 && value.every(isName))) return;
  throw new InvalidArgumentError(
    method,
    `"${argument}" must be a non-empty string or a non-empty array of them, got ${describeValue(value)}.`,
  );
}

/** Throws when a room is a user's own `user:<id>` room, which only the handshake puts sockets in. */
export function refuseUserRooms(rooms: string | string[], method: string): void {
  const userRoom = ([] as string[]).concat(rooms).find((room) => room.startsWith(USER_ROOM_PREFIX));
  if (userRoom === undefined) return;
  throw new InvalidArgumentError(
    method,
    `"${userRoom}" is a user's own room, which only the handshake puts sockets in. ` +
      'To put every socket of a user in a room use RoomService.joinUser(userId, room); to reach a user use WebsocketBroadcastService.sendToUser(userId, ...).',
  );
}

function isName(value: unknown): value is string {
  return typeof value === 'string' && value !== '';
}
