import type { Context, Meter, Span, Tracer } from '@opentelemetry/api';

/** Attributes of bounded cardinality only: namespaces, handled event names, codes, reasons, outcomes. */
type Attributes = Record<string, string>;

/**
 * A counter, up-down counter or histogram, as one type: what the table below creates. (The API's types
 * are imported as types only, in private members: the published declarations do not name the package.)
 */
interface Instrument {
  add?(value: number, attributes?: Attributes): void;
  record?(value: number, attributes?: Attributes): void;
}

/** Every instrument: its name, kind, unit and what it counts (the README's table says the same). */
const INSTRUMENTS = {
  connections: ['realtime.connections', 'upDown', '{connection}', 'Open connections'],
  handshakes: ['realtime.handshakes', 'counter', '{handshake}', 'Handshakes, by outcome (accepted, refused) and refusal code'],
  disconnections: ['realtime.disconnections', 'counter', '{disconnection}', 'Disconnections, by socket.io reason'],
  handlerDuration: ['realtime.handler.duration', 'histogram', 's', 'Time a handler took, by event and outcome (ok, error)'],
  clientErrors: ['realtime.client_errors', 'counter', '{error}', 'Errors answered to clients, by code'],
  rateLimited: ['realtime.rate_limited', 'counter', '{message}', 'Messages refused by flood control'],
  clusterRequests: [
    'realtime.cluster_requests',
    'counter',
    '{request}',
    'Requests to every instance, by kind and outcome (ok, timeout, error)',
  ],
  broadcasts: ['realtime.broadcasts', 'counter', '{broadcast}', 'Messages sent by the broadcast service, by kind (all, room, user)'],
  redisReconnects: ['realtime.redis.reconnects', 'counter', '{reconnect}', 'Redis connections back after an outage, by role'],
  recovered: ['realtime.recovery.recovered', 'counter', '{session}', 'Sockets recovered with their missed messages'],
  resyncs: ['realtime.recovery.resyncs', 'counter', '{resync}', 'Failed recoveries told with realtime:resync, by reason'],
  buffered: ['realtime.recovery.buffered', 'counter', '{message}', 'Messages kept in the outage buffer while Redis was down'],
  dropped: ['realtime.recovery.dropped', 'counter', '{message}', 'Messages dropped from the outage buffer'],
} as const;

type InstrumentName = keyof typeof INSTRUMENTS;

/** One registered handler's event in one namespace: its message count and what it is recorded with, made once. */
interface HandledEvent {
  /** Messages received, reported by `realtime.messages` when the SDK collects (no record per message). */
  received: number;
  readonly attributes: Attributes;
  readonly ok: Attributes;
  readonly error: Attributes;
  readonly spanName: string;
}

/**
 * One handled message being observed: its span (when tracing) and start time. `done` records the
 * handler's duration with the outcome, an error `code` when one was answered or the handler failed.
 */
export class MessageObservation {
  private readonly startedAt = performance.now();

  constructor(
    private readonly handled: HandledEvent,
    private readonly duration: Instrument | undefined,
    private readonly tracing: { api: typeof import('@opentelemetry/api'); span: Span; context: Context } | undefined,
  ) {}

  /** Calls the handler, in the span's context when tracing (its own spans become children). */
  run<T>(handler: () => T): T {
    return this.tracing ? this.tracing.api.context.with(this.tracing.context, handler) : handler();
  }

  done(code?: string): void {
    this.duration?.record?.((performance.now() - this.startedAt) / 1000, code ? this.handled.error : this.handled.ok);
    if (!this.tracing) return;
    const { api, span } = this.tracing;
    if (span.isRecording()) {
      span.setAttribute('realtime.outcome', code ? 'error' : 'ok');
      if (code) span.setAttribute('realtime.code', code);
      if (code) span.setStatus({ code: api.SpanStatusCode.ERROR, message: code });
    }
    span.end();
  }
}

/**
 * Metrics through the OpenTelemetry API, when the app has `@opentelemetry/api` (an optional peer) and
 * has registered an SDK before `RealtimeModule` starts; otherwise nothing is recorded, and the message
 * path does no work for metrics at all. One per process, as OpenTelemetry's global meter provider is.
 */
export class RealtimeTelemetry {
  private instruments?: Record<InstrumentName, Instrument>;
  private tracing?: { api: typeof import('@opentelemetry/api'); tracer: Tracer };
  private readonly parents = new WeakMap<object, Context>();
  /** Per namespace, per event name of a registered handler. */
  private readonly handledEvents = new Map<string, Map<string, HandledEvent>>();
  private readonly redisConnections = new Set<{ ready: boolean; state: { connections: string } }>();
  private loading?: Promise<void>;

  /** Loads the API once, if it is installed; the instruments exist from then on. */
  load(): Promise<void> {
    this.loading ??= import('@opentelemetry/api').then(
      (api) => {
        const meter = api.metrics.getMeter('nestjs-realtime');
        // No SDK registered (the API's no-op meter and tracer): nothing is recorded, so nothing is measured either.
        if (!(meter instanceof api.createNoopMeter().constructor)) {
          this.instruments = createInstruments(meter);
          meter
            .createObservableGauge('realtime.redis.ready', {
              description: 'Whether the Redis connections of one role are all ready (1) or not (0)',
            })
            .addCallback((result) => {
              for (const redis of this.redisConnections)
                result.observe(redis.ready ? 1 : 0, { 'realtime.connections': redis.state.connections });
            });
          meter
            .createObservableCounter('realtime.messages', {
              description: 'Messages received for a registered handler, by event',
              unit: '{message}',
            })
            .addCallback((result) => {
              for (const events of this.handledEvents.values())
                for (const handled of events.values()) result.observe(handled.received, handled.attributes);
            });
        }
        const provider = api.trace.getTracerProvider();
        const tracer =
          provider instanceof api.ProxyTracerProvider
            ? provider.getDelegateTracer('nestjs-realtime')
            : provider.getTracer('nestjs-realtime');
        if (tracer) this.tracing = { api, tracer };
      },
      () => undefined, // not installed: nothing to record into
    );
    return this.loading;
  }

  /** Whether metrics are recorded: callers skip work (a listener per socket) otherwise. */
  get enabled(): boolean {
    return this.instruments !== undefined;
  }

  /**
   * Counts a message for a registered handler and, when tracing, starts its span `<namespace> <event>`,
   * child of the span whose W3C `traceparent` the client sent in its handshake auth (through the app's
   * propagator), if any. Undefined when neither metrics nor traces are recorded.
   */
  observeMessage(
    client: { handshake?: { auth?: Record<string, unknown> } },
    namespace: string,
    event: string,
  ): MessageObservation | undefined {
    if (!this.instruments && !this.tracing) return undefined;
    const handled = this.handledEvent(namespace, event);
    handled.received++;
    let tracing: { api: typeof import('@opentelemetry/api'); span: Span; context: Context } | undefined;
    if (this.tracing) {
      const { api, tracer } = this.tracing;
      const parent = this.parentOf(client);
      const span = tracer.startSpan(handled.spanName, { kind: api.SpanKind.SERVER, attributes: handled.attributes }, parent);
      tracing = { api, span, context: api.trace.setSpan(parent, span) };
    }
    return new MessageObservation(handled, this.instruments?.handlerDuration, tracing);
  }

  private handledEvent(namespace: string, event: string): HandledEvent {
    let events = this.handledEvents.get(namespace);
    if (!events) this.handledEvents.set(namespace, (events = new Map<string, HandledEvent>()));
    let handled = events.get(event);
    if (!handled) {
      const attributes = { 'realtime.namespace': namespace, 'realtime.event': event };
      handled = {
        received: 0,
        attributes,
        ok: { ...attributes, 'realtime.outcome': 'ok' },
        error: { ...attributes, 'realtime.outcome': 'error' },
        spanName: `${namespace} ${event}`,
      };
      events.set(event, handled);
    }
    return handled;
  }

  /** The context of the client's `traceparent` (extracted once per connection), else the root context. */
  private parentOf(client: { handshake?: { auth?: Record<string, unknown> } }): Context {
    const { api } = this.tracing!;
    let parent = this.parents.get(client);
    if (!parent) {
      const traceparent = client.handshake?.auth?.traceparent;
      parent = typeof traceparent === 'string' ? api.propagation.extract(api.ROOT_CONTEXT, { traceparent }) : api.ROOT_CONTEXT;
      this.parents.set(client, parent);
    }
    return parent;
  }

  add(name: Exclude<InstrumentName, 'handlerDuration'>, attributes: Attributes, value = 1): void {
    this.instruments?.[name].add?.(value, attributes);
  }

  /** Reports the state of these Redis connections (`realtime.redis.ready`) until `untrackRedis`. */
  trackRedis(connections: { ready: boolean; state: { connections: string } }): void {
    this.redisConnections.add(connections);
  }

  untrackRedis(connections: { ready: boolean; state: { connections: string } }): void {
    this.redisConnections.delete(connections);
  }

  /** Runs a request to every instance, counted by kind and outcome (`realtime.cluster_requests`). */
  async clusterRequest<T>(kind: string, request: () => Promise<T>): Promise<T> {
    try {
      const result = await request();
      this.add('clusterRequests', { 'realtime.kind': kind, 'realtime.outcome': 'ok' });
      return result;
    } catch (error) {
      const outcome = /timeout/i.test((error as Error).message) ? 'timeout' : 'error';
      this.add('clusterRequests', { 'realtime.kind': kind, 'realtime.outcome': outcome });
      throw error;
    }
  }
}

function createInstruments(meter: Meter): Record<InstrumentName, Instrument> {
  const create = ([name, kind, unit, description]: (typeof INSTRUMENTS)[InstrumentName]): Instrument => {
    if (kind === 'upDown') return meter.createUpDownCounter(name, { description, unit });
    return kind === 'histogram' ? meter.createHistogram(name, { description, unit }) : meter.createCounter(name, { description, unit });
  };
  return Object.fromEntries(Object.entries(INSTRUMENTS).map(([key, spec]) => [key, create(spec)])) as Record<InstrumentName, Instrument>;
}

/** The process's telemetry, loaded by `RealtimeModule`. */
export const telemetry = new RealtimeTelemetry();
