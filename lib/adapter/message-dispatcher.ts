import type { Logger } from '@nestjs/common';
import type { MessageMappingProperties } from '@nestjs/websockets';
import { isObservable, type Observable, type Subscription } from 'rxjs';
import type { Socket } from 'socket.io';
import { isAck, type Ack } from '../errors/client-reply.js';
import { guardCallback } from '../errors/guard-callback.js';

interface DispatchOptions {
  /** Nest's result-to-Observable transform, as given to `bindMessageHandlers`. */
  transform: (result: unknown) => Observable<unknown>;
  /** `IoAdapter.mapPayload`: splits the event arguments into data and ack. */
  mapPayload: (payload: unknown) => { data?: unknown; ack?: Ack };
  logger: Logger;
}

interface Binding extends DispatchOptions {
  handlers: MessageMappingProperties[];
}

/** Per socket: the gateways bound to it, and the Observable results still streaming to it. */
const bindings = new WeakMap<Socket, Binding[]>();
const streaming = new WeakMap<Socket, Set<Subscription>>();
/** One listener per event name for the whole process; it finds the socket's handlers through `this`. */
const listeners = new Map<string, (this: Socket, ...payload: unknown[]) => void>();

/**
 * Binds a gateway's handlers to a socket without Nest's rxjs chain per socket and per handler: the
 * socket gets a shared listener per event, so an idle connection costs almost nothing per handler.
 * Listeners run where Nest's would, after socket middlewares (rate limiting). Responses follow Nest's
 * rules: a `WsResponse` (`{ event, data }`) is emitted, any other non-nil value goes to the ack
 * unless the handler acks by hand (`@Ack()`), each value of an Observable result is sent, and a
 * result still streaming when the socket disconnects is unsubscribed.
 */
export function dispatchMessages(socket: Socket, handlers: MessageMappingProperties[], options: DispatchOptions): void {
  const socketBindings = bindings.get(socket);
  if (!socketBindings) socket.once('disconnect', () => unbind(socket));
  bindings.set(socket, [...(socketBindings ?? []), { handlers, ...options }]);
  for (const { message } of handlers) {
    const listener = listenerFor(String(message), options.logger);
    if (!socket.listeners(message).includes(listener)) socket.on(message, listener);
  }
}

/** Removes the socket's listeners, as Nest's binding does when a socket disconnects. */
function unbind(socket: Socket): void {
  for (const binding of bindings.get(socket) ?? []) {
    for (const { message } of binding.handlers) socket.off(message, listeners.get(String(message))!);
  }
  bindings.delete(socket);
}

function listenerFor(event: string, logger: Logger): (this: Socket, ...payload: unknown[]) => void {
  let listener = listeners.get(event);
  if (!listener) {
    listener = guardCallback(logger, `Dispatching "${event}"`, function (this: Socket, ...payload: unknown[]) {
      for (const binding of bindings.get(this) ?? []) {
        const handler = binding.handlers.find((candidate) => candidate.message === event);
        if (handler) handle(this, handler, binding, payload);
      }
    });
    listeners.set(event, listener);
  }
  return listener;
}

function handle(socket: Socket, handler: MessageMappingProperties, binding: Binding, payload: unknown[]): void {
  // as rxjs fromEvent hands them to Nest's binding: one argument as is, several as an array
  const { data, ack } = binding.mapPayload(payload.length > 1 ? payload : payload[0]);
  const replyTo = handler.isAckHandledManually ? undefined : ack;
  let result: unknown;
  try {
    result = handler.callback(data, ack);
  } catch (error) {
    binding.logger.error(error);
    return;
  }
  // Nest's transform awaits the result and wraps it in an Observable; a plain value (what most
  // handlers return) is answered without that rxjs chain, an Observable goes through the transform.
  void Promise.resolve(result)
    .then((value) => (isObservable(value) ? stream(socket, binding.transform(value), replyTo, binding.logger) : respond(socket, value, replyTo)))
    .catch((error: unknown) => binding.logger.error(error));
}

function stream(socket: Socket, result$: Observable<unknown>, replyTo: Ack | undefined, logger: Logger): void {
  const subscription = result$.subscribe({
    next: (response) => respond(socket, response, replyTo),
    error: (error: unknown) => logger.error(error),
  });
  if (!subscription.closed) keepUntilDisconnect(socket, subscription, logger);
}

function keepUntilDisconnect(socket: Socket, subscription: Subscription, logger: Logger): void {
  let open = streaming.get(socket);
  if (!open) {
    open = new Set();
    streaming.set(socket, open);
    socket.once('disconnect', guardCallback(logger, 'Ending a streamed result', () => open!.forEach((stream) => stream.unsubscribe())));
  }
  open.add(subscription);
  subscription.add(() => open!.delete(subscription));
}

function respond(socket: Socket, response: unknown, ack: Ack | undefined): void {
  if (response === undefined || response === null) return;
  const { event, data } = response as { event?: string; data?: unknown };
  if (event) return void socket.emit(event, data);
  if (isAck(ack)) ack(response);
}
