import type { Socket } from 'socket.io';
import { clientError } from '../errors/client-error.js';
import { isAck, replyWithError } from '../errors/client-reply.js';

/**
 * Answers an event that nothing on the socket listens to, sent with an ack, with `NOT_FOUND`, so the
 * client does not wait for its own timeout (and returns true); without an ack the event is ignored,
 * as before.
 */
export function answeredAsUnknown(socket: Socket, packet: unknown[]): boolean {
  const [event] = packet;
  const ack: unknown = packet[packet.length - 1];
  if (!isAck(ack) || socket.listenerCount(event as string) > 0 || socket.listenersAny().length > 0) return false;
  replyWithError(socket, event, clientError('NOT_FOUND', `No handler for "${String(event)}"`), ack);
  return true;
}
