import type { Socket } from 'socket.io';
import { clientError } from '../errors/client-error.js';
import { isAck, replyWithError } from '../errors/client-reply.js';

/**
 * Answers an event that nothing on the socket listens to, sent with an ack, with `NOT_FOUND`, so the
 * client does not wait for its own timeout; without an ack the event is ignored, as before.
 */
export function answerUnknownEvents(socket: Socket): void {
  socket.use((packet, next) => {
    const [event] = packet;
    const ack: unknown = packet[packet.length - 1];
    if (!isAck(ack) || socket.listenerCount(event) > 0 || socket.listenersAny().length > 0) return next();
    replyWithError(socket, event, clientError('NOT_FOUND', `No handler for "${String(event)}"`), ack);
  });
}
