import type { Socket } from 'socket.io';
import type { ClientError } from './client-error.js';
import { telemetry } from '../observability/realtime-telemetry.js';

/** The acknowledgement callback a client may send with an event (its last argument). */
export type Ack = (reply: unknown) => void;

/** Whether a client's last argument is an acknowledgement callback. */
export function isAck(value: unknown): value is Ack {
  return typeof value === 'function';
}

/** A client of a native `ws` gateway (`nestjs-realtime/ws`): a `ws` WebSocket, which socket.io's Socket is not. */
export interface NativeWsClient {
  send(data: string): void;
  terminate(): void;
  readyState: number;
}

/**
 * Answers a failed event: through the ack when the client sent one, otherwise with the `exception`
 * event carrying the same body plus the name of the `event` that failed (on a native `ws` client, the
 * frame `{ "event": "exception", "data": { ...body, event } }`).
 */
export function replyWithError(client: Socket | NativeWsClient, event: unknown, error: ClientError, ack?: unknown): void {
  telemetry.add('clientErrors', { 'realtime.code': error.code });
  if (typeof event === 'string' && inFlight.get(client)?.has(event)) inFlight.get(client)!.set(event, error.code);
  if (isAck(ack)) return ack(error);
  if (isNativeWsClient(client)) return sendFrame(client, 'exception', { ...error, event });
  client.emit('exception', { ...error, event });
}

export function isNativeWsClient(client: unknown): client is NativeWsClient {
  return typeof (client as Partial<NativeWsClient>).terminate === 'function';
}

const OPEN = 1;

/** Sends `{ event, data }` as one JSON text frame, the envelope Nest's `WsAdapter` reads and writes. */
export function sendFrame(client: NativeWsClient, event: string, data: unknown): void {
  if (client.readyState === OPEN) client.send(JSON.stringify({ event, data }));
}

/**
 * The events of each client whose handler is running, and the code of the error answered for it if
 * one was: the outcome of its metric and span. Only registered handlers' events are kept, while they run.
 */
export const inFlight = new WeakMap<object, Map<string, string | undefined>>();
