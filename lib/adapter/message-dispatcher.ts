import type { Logger } from '@nestjs/common';
import type { MessageMappingProperties } from '@nestjs/websockets';
import { isObservable, type Observable, type Subscription } from 'rxjs';
import type { Socket } from 'socket.io';
import { inFlight, isAck, type Ack } from '../errors/client-reply.js';
import { telemetry, type MessageObservation } from '../observability/realtime-telemetry.js';
import { guardCallback } from '../errors/guard-callback.js';

/** A gateway's handlers bound to a socket, and Nest's result-to-Observable transform given with them. */
interface Binding {
  handlers: MessageMappingProperties[];
  transform: (result: unknown) => Observable<unknown>;
}

/** `IoAdapter.mapPayload`: splits the event arguments into data and ack. */
export type MapPayload = (payload: unknown) => { data?: unknown; ack?: Ack };

type Listener = (this: Socket, ...payload: unknown[]) => void;

/**
 * Binds gateways' handlers to sockets without Nest's rxjs chain per socket and per handler: each
 * socket gets a listener per event shared by all sockets of this dispatcher (one per adapter), so an
 * idle connection costs almost nothing per handler. Listeners run where Nest's would, after socket
 * middlewares (rate limiting). Responses follow Nest's rules: a `WsResponse` (`{ event, data }`) is
 * emitted, any other non-nil value goes to the ack unless the handler acks by hand (`@Ack()`), each
 * value of an Observable result is sent, and a result still streaming when the socket disconnects is
 * unsubscribed. On disconnect the listeners are removed, as with Nest's binding.
 */
export class MessageDispatcher {
  /** Per socket: the gateways bound to it, and the Observable results still streaming to it. */
  private readonly bindings = new WeakMap<Socket, Binding[]>();
  private readonly streaming = new WeakMap<Socket, Set<Subscription>>();
  /** One listener per event name; it finds the socket's handlers through `this`. */
  private readonly listeners = new Map<string, Listener>();

  /** Shared by every socket, as the listeners are. */
  private readonly unbindOnDisconnect: (this: Socket) => void;

  constructor(
    private readonly logger: Logger,
    private readonly mapPayload: MapPayload,
  ) {
    const unbind = (socket: Socket) => this.unbind(socket);
    this.unbindOnDisconnect = function (this: Socket) {
      unbind(this);
    };
  }

  bind(socket: Socket, handlers: MessageMappingProperties[], transform: Binding['transform']): void {
    const socketBindings = this.bindings.get(socket);
    if (!socketBindings) socket.once('disconnect', this.unbindOnDisconnect);
    this.bindings.set(socket, [...(socketBindings ?? []), { handlers, transform }]);
    for (const { message } of handlers) {
      const listener = this.listenerFor(String(message));
      if (!socket.listeners(message).includes(listener)) socket.on(message, listener);
    }
  }

  private unbind(socket: Socket): void {
    for (const binding of this.bindings.get(socket) ?? []) {
      for (const { message } of binding.handlers) socket.off(String(message), this.listeners.get(String(message))!);
    }
    this.bindings.delete(socket);
  }

  private listenerFor(event: string): Listener {
    let listener = this.listeners.get(event);
    if (!listener) {
      const dispatch = (socket: Socket, payload: unknown[]) => this.dispatch(socket, event, payload);
      listener = guardCallback(this.logger, `Dispatching "${event}"`, function (this: Socket, ...payload: unknown[]) {
        dispatch(this, payload);
      });
      this.listeners.set(event, listener);
    }
    return listener;
  }

  private dispatch(socket: Socket, event: string, payload: unknown[]): void {
    for (const binding of this.bindings.get(socket) ?? []) {
      const handler = binding.handlers.find((candidate) => candidate.message === event);
      if (handler) this.handle(socket, handler, binding, payload);
    }
  }

  private handle(socket: Socket, handler: MessageMappingProperties, binding: Binding, payload: unknown[]): void {
    // as rxjs fromEvent hands them to Nest's binding: one argument as is, several as an array
    const { data, ack } = this.mapPayload(payload.length > 1 ? payload : payload[0]);
    const replyTo = handler.isAckHandledManually ? undefined : ack;
    const event = handler.message as string;
    const observation = observe(socket, event);
    let result: unknown;
    try {
      result = observation ? observation.run(() => handler.callback(data, ack)) : handler.callback(data, ack);
    } catch (error) {
      this.logger.error(error);
      if (observation) observed(observation, socket, event, 'INTERNAL');
      return;
    }
    // Nest's transform awaits the result and wraps it in an Observable; a plain value (what most
    // handlers return) is answered without that rxjs chain, an Observable goes through the transform.
    // One promise reaction per message (Nest's handlers return promises): answering and recording the
    // outcome happen in it.
    const fail = (error: unknown): void => {
      this.logger.error(error);
      if (observation) observed(observation, socket, event, 'INTERNAL');
    };
    const answer = (value: unknown): void => {
      try {
        if (isObservable(value)) this.stream(socket, binding.transform(value), replyTo);
        else respond(socket, value, replyTo);
      } catch (error) {
        return fail(error);
      }
      if (observation) observed(observation, socket, event);
    };
    if (isThenable(result)) void Promise.resolve(result).then(answer, fail);
    else answer(result);
  }

  private stream(socket: Socket, result$: Observable<unknown>, replyTo: Ack | undefined): void {
    const subscription = result$.subscribe({
      next: (response) => respond(socket, response, replyTo),
      error: (error: unknown) => this.logger.error(error),
    });
    if (!subscription.closed) this.keepUntilDisconnect(socket, subscription);
  }

  private keepUntilDisconnect(socket: Socket, subscription: Subscription): void {
    let open = this.streaming.get(socket);
    if (!open) {
      const streams = (open = new Set());
      this.streaming.set(socket, streams);
      socket.once(
        'disconnect',
        guardCallback(this.logger, 'Ending a streamed result', () => streams.forEach((stream) => stream.unsubscribe())),
      );
    }
    open.add(subscription);
    subscription.add(() => open.delete(subscription));
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | undefined)?.then === 'function';
}

function respond(socket: Socket, response: unknown, ack: Ack | undefined): void {
  if (response === undefined || response === null) return;
  const { event, data } = response as { event?: string; data?: unknown };
  if (event) return void socket.emit(event, data);
  if (isAck(ack)) ack(response);
}

/**
 * Counts the message, times its handler and opens its span (when telemetry is on), and notes the event
 * as running so that an error answered for it meanwhile is its outcome (see `replyWithError`).
 */
function observe(socket: Socket, event: string): MessageObservation | undefined {
  const observation = telemetry.observeMessage(socket, socket.nsp.name, event);
  if (!observation) return undefined;
  let running = inFlight.get(socket);
  if (!running) inFlight.set(socket, (running = new Map<string, string | undefined>()));
  running.set(event, undefined);
  return observation;
}

/** Records the outcome: the handler's own failure (`INTERNAL`), else the code of an error answered while it ran, else ok. */
function observed(observation: MessageObservation, socket: Socket, event: string, failure?: string): void {
  const running = inFlight.get(socket);
  const code = failure ?? running?.get(event);
  running?.delete(event);
  observation.done(code);
}
