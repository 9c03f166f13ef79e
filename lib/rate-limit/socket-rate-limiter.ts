import type { Socket } from 'socket.io';
import { clientError } from '../errors/client-error.js';
import { isAck, replyWithError } from '../errors/client-reply.js';
import type { RealtimeRateLimitOptions } from '../realtime-options.interface.js';
import { TokenBucket } from './token-bucket.js';
import { telemetry } from '../observability/realtime-telemetry.js';

export const RATE_LIMITED = clientError('RATE_LIMITED', 'Too many events; slow down');

/**
 * A token bucket over every event the socket sends: an event over the limit is not dispatched and is
 * answered `RATE_LIMITED` (ack, or one `exception` event per burst); a socket that sends another full
 * bucket of events while refused is disconnected.
 */
export function limitRate(socket: Socket, limits: RealtimeRateLimitOptions): void {
  const bucket = new TokenBucket(limits);
  let toldByEvent = false;
  socket.use((packet, next) => {
    const verdict = bucket.take();
    if (verdict === 'pass') {
      toldByEvent = false;
      return next();
    }
    telemetry.add('rateLimited', { 'realtime.namespace': socket.nsp.name });
    if (verdict === 'cut-off') return void socket.disconnect(true);
    const ack: unknown = packet[packet.length - 1];
    if (!isAck(ack) && toldByEvent) return;
    toldByEvent ||= !isAck(ack);
    replyWithError(socket, packet[0], RATE_LIMITED, ack);
  });
}
