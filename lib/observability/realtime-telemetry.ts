/** Attributes of bounded cardinality only: namespaces, handled event names, codes, reasons, outcomes. */
type Attributes = Record<string, string>;

/** The parts of the OpenTelemetry metrics API used here (declared, so that apps without it need nothing). */
interface Instrument {
  add?(value: number, attributes?: Attributes): void;
  record?(value: number, attributes?: Attributes): void;
}
interface Meter {
  createCounter(name: string, options: { description: string; unit?: string }): Instrument;
  createUpDownCounter(name: string, options: { description: string; unit?: string }): Instrument;
  createHistogram(name: string, options: { description: string; unit?: string }): Instrument;
}

/** Every instrument: its name, kind, unit and what it counts (the README's table says the same). */
const INSTRUMENTS = {
  connections: ['realtime.connections', 'upDown', '{connection}', 'Open connections'],
  handshakes: ['realtime.handshakes', 'counter', '{handshake}', 'Handshakes, by outcome (accepted, refused) and refusal code'],
  disconnections: ['realtime.disconnections', 'counter', '{disconnection}', 'Disconnections, by socket.io reason'],
  messages: ['realtime.messages', 'counter', '{message}', 'Messages received for a registered handler, by event'],
  handlerDuration: ['realtime.handler.duration', 'histogram', 's', 'Time a handler took, by event and outcome (ok, error)'],
  clientErrors: ['realtime.client_errors', 'counter', '{error}', 'Errors answered to clients, by code'],
  broadcasts: ['realtime.broadcasts', 'counter', '{broadcast}', 'Messages sent by the broadcast service, by kind (all, room, user)'],
  redisReconnects: ['realtime.redis.reconnects', 'counter', '{reconnect}', 'Redis connections back after an outage, by role'],
  recovered: ['realtime.recovery.recovered', 'counter', '{session}', 'Sockets recovered with their missed messages'],
  resyncs: ['realtime.recovery.resyncs', 'counter', '{resync}', 'Failed recoveries told with realtime:resync, by reason'],
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
  private loading?: Promise<void>;

  /** Loads the API once, if it is installed; the instruments exist from then on. */
  load(): Promise<void> {
    this.loading ??= import('@opentelemetry/api').then(
      ({ metrics, createNoopMeter }) => {
        const meter = metrics.getMeter('nestjs-realtime');
        // No SDK registered (the API's no-op meter): nothing is recorded, so nothing is measured either.
        if (meter instanceof createNoopMeter().constructor) return;
        this.instruments = createInstruments(meter);
      },
      () => undefined, // not installed: nothing to record into
    );
    return this.loading;
  }

  /** Whether anything is recorded: callers skip work (a listener per socket) otherwise. */
  get enabled(): boolean {
    return this.instruments !== undefined;
  }

  add(name: Exclude<InstrumentName, 'handlerDuration'>, attributes: Attributes, value = 1): void {
    this.instruments?.[name].add?.(value, attributes);
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
