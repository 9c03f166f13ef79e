import type { Socket } from 'socket.io';
import { RESYNC_EVENT } from '../realtime.constants.js';
import { telemetry } from '../observability/realtime-telemetry.js';

/**
 * Why a client's recovery failed, sent with `realtime:resync`:
 * - `WINDOW_EXPIRED`: its session is gone (it was away longer than `recovery.maxDisconnectionMs`, or,
 *   without Redis, the instance restarted);
 * - `HISTORY_TRIMMED`: the stream no longer holds its position (`recovery.streamMaxLength` too small
 *   for the traffic of the window, or Redis restarted empty);
 * - `BUFFER_OVERFLOW`: messages for it were dropped while Redis was down (the buffer was full);
 * - `NO_OFFSET` / `INVALID_OFFSET`: its client sent no position, or one that is not a stream id (the
 *   last string argument of any event is taken as the position: send objects, not bare strings);
 * - `HISTORY_UNAVAILABLE`: Redis could not be read when it reconnected.
 */
export type ResyncReason =
  'WINDOW_EXPIRED' | 'HISTORY_TRIMMED' | 'BUFFER_OVERFLOW' | 'NO_OFFSET' | 'INVALID_OFFSET' | 'HISTORY_UNAVAILABLE';

/** The session id and position a reconnecting client sends; none on a first connection. */
function recoveryAttempt(socket: Socket): { pid: string; offset?: string } | undefined {
  const { pid, offset } = socket.handshake.auth as { pid?: unknown; offset?: unknown };
  if (typeof pid !== 'string') return undefined;
  return { pid, offset: typeof offset === 'string' ? offset : undefined };
}

/** Tells the client that it missed messages and should reload its state. */
export function sendResync(socket: Socket, reason: ResyncReason): void {
  telemetry.add('resyncs', { 'realtime.namespace': socket.nsp.name, 'realtime.reason': reason });
  socket.emit(RESYNC_EVENT, { reason });
}

/**
 * After a connection: counts a recovered socket, or tells a client whose recovery failed why, with the
 * reason `knownReason` found for its session id if any; otherwise its session is gone (or it had no
 * position to come back to). A first connection is told nothing.
 */
export function reportRecovery(socket: Socket, knownReason: (pid: string) => ResyncReason | undefined = () => undefined): void {
  if (socket.recovered) return telemetry.add('recovered', { 'realtime.namespace': socket.nsp.name });
  const attempt = recoveryAttempt(socket);
  if (attempt) sendResync(socket, knownReason(attempt.pid) ?? (attempt.offset ? 'WINDOW_EXPIRED' : 'NO_OFFSET'));
}
