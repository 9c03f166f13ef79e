import type { Socket } from 'socket.io';
import { clientError } from '../errors/client-error.js';
import { isAck, replyWithError } from '../errors/client-reply.js';
import type { RealtimeRateLimitOptions } from '../realtime-options.interface.js';

const RATE_LIMITED = clientError('RATE_LIMITED', 'Too many events; slow down');

/**
 * A token bucket over every event the socket sends: an event over the limit is not dispatched and is
 * answered `RATE_LIMITED` (ack, or one `exception` event per burst); a socket that sends another full
 * bucket of events while refused is disconnected.
 */
export function limitRate(socket: Socket, { points, durationMs }: RealtimeRateLimitOptions): void {
  let tokens = points;
  let refilledAt = Date.now();
  let refused = 0;
  let toldByEvent = false;
  socket.use((packet, next) => {
    const now = Date.now();
    tokens = Math.min(points, tokens + ((now - refilledAt) * points) / durationMs);
    refilledAt = now;
    if (tokens >= 1) {
      tokens -= 1;
      refused = 0;
      toldByEvent = false;
      return next();
    }
    refused += 1;
    if (refused > points) return void socket.disconnect(true);
    const ack: unknown = packet[packet.length - 1];
    if (!isAck(ack) && toldByEvent) return;
    toldByEvent ||= !isAck(ack);
    replyWithError(socket, packet[0], RATE_LIMITED, ack);
  });
}
