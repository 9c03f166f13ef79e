import type { Logger } from '@nestjs/common';
import type { MessageMappingProperties } from '@nestjs/websockets';
import { isObservable, type Observable, type Subscription } from 'rxjs';
import type { Socket } from 'socket.io';
import { inFlight, isAck, type Ack } from '../errors/client-reply.js';
import { telemetry, type MessageObservation } from '../observability/realtime-telemetry.js';
import { guardCallback } from '../errors/guard-callback.js';

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
 * unsubscribed. A socket keeps only Nest's handlers bound to it: no listener of its own on
 * `disconnect`, since a disconnected socket gets no more events and its handlers go with it.
 */
export class MessageDispatcher {
  /** Per socket: the handlers of the gateways bound to it, and the Observable results still streaming to it. */
  private readonly bindings = new WeakMap<Socket, MessageMappingProperties[]>();
  private readonly streaming = new WeakMap<Socket, Set<Subscription>>();
  /** One listener per event name; it finds the socket's handlers through `this`. */
  private readonly listeners = new Map<string, Listener>();

  constructor(
    private readonly logger: Logger,
    private readonly mapPayload: MapPayload,
  ) {}

  /** Nest's handlers array is kept as given (one gateway on the socket, the usual case), not copied. */
  bind(socket: Socket, handlers: MessageMappingProperties[]): void {
    const bound = this.bindings.get(socket);
    this.bindings.set(socket, bound ? [...bound, ...handlers] : handlers);
    for (const { message } of handlers) {
      const listener = this.listenerFor(String(message));
      if (!socket.listeners(message).includes(listener)) socket.on(message, listener);
    }
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

  /** Every handler subscribed to the event runs, as with Nest's binding (one per method, several gateways). */
  private dispatch(socket: Socket, event: string, payload: unknown[]): void {
    for (const handler of this.bindings.get(socket) ?? []) {
      if (handler.message === event) this.handle(socket, handler, payload);
    }
  }

  private handle(socket: Socket, handler: MessageMappingProperties, payload: unknown[]): void {
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
    // Nest's handlers return promises: one promise reaction per message answers and records the
    // outcome. A plain value (what most handlers return) is answered as is, each value of an
    // Observable as it comes (what Nest's own result transform would do).
    const fail = (error: unknown): void => {
      this.logger.error(error);
      if (observation) observed(observation, socket, event, 'INTERNAL');
    };
    const answer = (value: unknown): void => {
      try {
        if (isObservable(value)) this.stream(socket, value, replyTo);
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
      socket.on(
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
