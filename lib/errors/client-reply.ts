import type { Socket } from 'socket.io';
import type { ClientError } from './client-error.js';

/** The acknowledgement callback a client may send with an event (its last argument). */
export type Ack = (reply: unknown) => void;

/** Whether a client's last argument is an acknowledgement callback. */
export function isAck(value: unknown): value is Ack {
  return typeof value === 'function';
}

/**
 * Answers a failed event: through the ack when the client sent one, otherwise with the `exception`
 * event carrying the same body plus the name of the `event` that failed.
 */
export function replyWithError(socket: Socket, event: unknown, error: ClientError, ack?: unknown): void {
  if (isAck(ack)) return ack(error);
  socket.emit('exception', { ...error, event });
}
