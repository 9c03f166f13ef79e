import type { Socket } from 'socket.io';
import { clientError } from '../errors/client-error.js';
import { isAck, replyWithError } from '../errors/client-reply.js';
import type { RealtimeRateLimitOptions } from '../realtime-options.interface.js';
import { TokenBucket } from './token-bucket.js';
import { telemetry } from '../observability/realtime-telemetry.js';

export const RATE_LIMITED = clientError('RATE_LIMITED', 'Too many events; slow down');

/** A socket's flood control: its bucket, and whether it was told by an `exception` event in this burst. */
interface SocketLimit {
  bucket: TokenBucket;
  toldByEvent: boolean;
}

/**
 * A token bucket over every event a socket sends: an event over the limit is not dispatched and is
 * answered `RATE_LIMITED` (ack, or one `exception` event per burst); a socket that sends another full
 * bucket of events while refused is disconnected. A socket's bucket is made with its first event, so
 * an idle connection has none.
 */
export class SocketRateLimiter {
  private readonly limits = new WeakMap<Socket, SocketLimit>();

  constructor(private readonly options: RealtimeRateLimitOptions) {}

  /** Whether the event may go on to its handlers; when not, the client has been answered. */
  admits(socket: Socket, packet: unknown[]): boolean {
    let limit = this.limits.get(socket);
    if (!limit) this.limits.set(socket, (limit = { bucket: new TokenBucket(this.options), toldByEvent: false }));
    const verdict = limit.bucket.take();
    if (verdict === 'pass') {
      limit.toldByEvent = false;
      return true;
    }
    telemetry.add('rateLimited', { 'realtime.namespace': socket.nsp.name });
    if (verdict === 'cut-off') {
      socket.disconnect(true);
      return false;
    }
    const ack: unknown = packet[packet.length - 1];
    if (!isAck(ack) && limit.toldByEvent) return false;
    limit.toldByEvent ||= !isAck(ack);
    replyWithError(socket, packet[0], RATE_LIMITED, ack);
    return false;
  }
}
