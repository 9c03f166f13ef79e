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
  messages: ['realtime.messages', 'counter', '{message}', 'Messages received for a registered handler, by event'],
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

/**
 * Metrics through the OpenTelemetry API, when the app has `@opentelemetry/api` (an optional peer) and
 * has registered an SDK before `RealtimeModule` starts; otherwise nothing is recorded, and the message
 * path does no work for metrics at all. One per process, as OpenTelemetry's global meter provider is.
 */
export class RealtimeTelemetry {
  private instruments?: Record<InstrumentName, Instrument>;
  private tracing?: { api: typeof import('@opentelemetry/api'); tracer: Tracer };
  private readonly parents = new WeakMap<object, Context>();
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

  /** Whether handled messages get spans. */
  get tracingEnabled(): boolean {
    return this.tracing !== undefined;
  }

  /**
   * A span `<namespace> <event>` for one handled message, child of the span whose W3C `traceparent`
   * the client sent in its handshake auth (through the app's propagator), if any. `run` calls the
   * handler in the span's context (its own spans become children); `end` closes it with the outcome.
   */
  messageSpan(
    client: { handshake?: { auth?: Record<string, unknown> } },
    namespace: string,
    event: string,
  ): { run<T>(handler: () => T): T; end(code?: string): void } | undefined {
    if (!this.tracing) return undefined;
    const { api, tracer } = this.tracing;
    const parent = this.parentOf(client);
    const attributes = { 'realtime.namespace': namespace, 'realtime.event': event };
    const span: Span = tracer.startSpan(`${namespace} ${event}`, { kind: api.SpanKind.SERVER, attributes }, parent);
    return {
      run: (handler) => api.context.with(api.trace.setSpan(parent, span), handler),
      end: (code) => {
        span.setAttribute('realtime.outcome', code ? 'error' : 'ok');
        if (code) span.setAttribute('realtime.code', code);
        if (code) span.setStatus({ code: api.SpanStatusCode.ERROR, message: code });
        span.end();
      },
    };
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

  /** A handler's duration, from `performance.now()` at its start. */
  handled(namespace: string, event: string, outcome: 'ok' | 'error', startedAt: number): void {
    const seconds = (performance.now() - startedAt) / 1000;
    this.instruments?.handlerDuration.record?.(seconds, {
      'realtime.namespace': namespace,
      'realtime.event': event,
      'realtime.outcome': outcome,
    });
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
