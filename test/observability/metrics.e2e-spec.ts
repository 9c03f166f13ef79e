import { metrics } from '@opentelemetry/api';
import { AggregationTemporality, MeterProvider, MetricReader, type DataPoint, type Histogram } from '@opentelemetry/sdk-metrics';
import { ConnectedSocket, MessageBody, SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import type { Socket } from 'socket.io';
import { RealtimeException, RealtimeExceptionFilter, RoomService, WebsocketBroadcastService } from '../../lib/index.js';
import { signTestToken } from '../../lib/testing/index.js';
import { UseFilters } from '@nestjs/common';
import { EventEmitter, once } from 'node:events';
import { nextEvent } from '../utils/events.js';
import { RedisServer } from '../utils/redis-server.js';
import { TestBed, uniquePrefix } from '../utils/test-bed.js';

const secret = 'metrics-secret';

/** Collects on demand what the app recorded, as a Prometheus scrape or an OTLP export would. */
class CollectingReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
  }
  protected async onShutdown(): Promise<void> {}
  protected async onForceFlush(): Promise<void> {}

  /** Each instrument's data points as `{ attributes: value }` (a histogram: its count). */
  async points(): Promise<Record<string, Record<string, number>>> {
    const { resourceMetrics } = await this.collect();
    const result: Record<string, Record<string, number>> = {};
    for (const metric of resourceMetrics.scopeMetrics.flatMap((scope) => scope.metrics)) {
      result[metric.descriptor.name] = Object.fromEntries(
        (metric.dataPoints as DataPoint<number | Histogram>[]).map((point) => [
          JSON.stringify(point.attributes),
          typeof point.value === 'number' ? point.value : point.value.count,
        ]),
      );
    }
    return result;
  }
}

@WebSocketGateway()
@UseFilters(RealtimeExceptionFilter)
class MeteredGateway {
  readonly disconnects = new EventEmitter();

  handleDisconnect(): void {
    this.disconnects.emit('disconnect');
  }

  @SubscribeMessage('echo')
  echo(@MessageBody() data: unknown): unknown {
    return data;
  }

  @SubscribeMessage('fail')
  fail(@ConnectedSocket() _client: Socket): never {
    throw new RealtimeException('BAD_REQUEST', 'No');
  }
}

describe('metrics through the OpenTelemetry API', () => {
  const reader = new CollectingReader();
  let bed: TestBed;

  beforeAll(() => {
    // an app's SDK, registered before the app boots, as the OpenTelemetry docs have it
    metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }));
  });
  afterAll(() => metrics.disable());
  beforeEach(() => (bed = new TestBed()));
  afterEach(() => bed.close());

  it('counts connections, handshakes by outcome, messages and handler outcomes by event, client errors, broadcasts and disconnections', async () => {
    const app = await bed.app({ options: { auth: { secret }, rateLimit: { points: 3, durationMs: 60_000 } }, providers: [MeteredGateway] });
    const alice = await bed.client(app, { token: signTestToken({ sub: 'alice' }, secret) });
    const bob = await bed.client(app, { token: signTestToken({ sub: 'bob' }, secret) });
    await expect(bed.client(app, { token: 'forged' })).rejects.toThrow('Unauthorized');
    for (const text of ['a', 'b', 'c']) await alice.emitWithAck('echo', text);
    await expect(bob.emitWithAck('fail', {})).resolves.toMatchObject({ code: 'BAD_REQUEST' });
    const broadcasts = app.get(WebsocketBroadcastService);
    const received = nextEvent(alice, 'news');
    await broadcasts.broadcast('news', 1);
    await broadcasts.sendToUser('bob', 'news', 2);
    await received;
    expect(await app.get(RoomService).members('nobody-here')).toEqual([]);
    for (let i = 0; i < 2; i++) await expect(alice.emitWithAck('echo', 'over the limit')).resolves.toMatchObject({ code: 'RATE_LIMITED' });
    const closed = once(app.get(MeteredGateway).disconnects, 'disconnect'); // the server's side of it
    bob.disconnect();
    await closed;

    const points = await reader.points();
    const ns = { 'realtime.namespace': '/' };
    expect(points['realtime.connections']).toEqual({ [JSON.stringify(ns)]: 1 });
    expect(points['realtime.handshakes']).toEqual({
      [JSON.stringify({ ...ns, 'realtime.outcome': 'accepted' })]: 2,
      [JSON.stringify({ ...ns, 'realtime.outcome': 'refused', 'realtime.code': 'TOKEN_INVALID' })]: 1,
    });
    expect(points['realtime.messages']).toEqual({
      [JSON.stringify({ ...ns, 'realtime.event': 'echo' })]: 3,
      [JSON.stringify({ ...ns, 'realtime.event': 'fail' })]: 1,
    });
    expect(points['realtime.handler.duration']).toEqual({
      [JSON.stringify({ ...ns, 'realtime.event': 'echo', 'realtime.outcome': 'ok' })]: 3,
      [JSON.stringify({ ...ns, 'realtime.event': 'fail', 'realtime.outcome': 'error' })]: 1,
    });
    expect(points['realtime.client_errors']).toEqual({
      [JSON.stringify({ 'realtime.code': 'BAD_REQUEST' })]: 1,
      [JSON.stringify({ 'realtime.code': 'RATE_LIMITED' })]: 2,
    });
    expect(points['realtime.rate_limited']).toEqual({ [JSON.stringify(ns)]: 2 });
    expect(points['realtime.cluster_requests']).toEqual({ [JSON.stringify({ 'realtime.kind': 'members', 'realtime.outcome': 'ok' })]: 1 });
    expect(points['realtime.broadcasts']).toEqual({
      [JSON.stringify({ ...ns, 'realtime.kind': 'all' })]: 1,
      [JSON.stringify({ ...ns, 'realtime.kind': 'user' })]: 1,
    });
    expect(points['realtime.disconnections']).toEqual({ [JSON.stringify({ ...ns, 'realtime.reason': 'client namespace disconnect' })]: 1 });
  });

  it('counts recovered sockets and resyncs by reason', async () => {
    const app = await bed.app({ options: { recovery: { maxDisconnectionMs: 1000 } }, providers: [MeteredGateway] });
    const alice = await bed.client(app, { reconnection: true, reconnectionDelay: 50 });
    await app.get(WebsocketBroadcastService).broadcast('news', 1); // gives the client a position to recover from
    await nextEvent(alice, 'news');
    alice.io.engine.close(); // a network drop: socket.io-client reconnects and recovers
    await nextEvent(alice, 'connect');
    expect(alice.recovered).toBe(true);

    alice.io.reconnection(false);
    alice.io.engine.close();
    await new Promise((resolve) => setTimeout(resolve, 1200)); // the window passes; nothing to await in memory
    const resync = nextEvent(alice, 'realtime:resync');
    alice.connect();
    await resync;

    const points = await reader.points();
    expect(points['realtime.recovery.recovered']).toEqual({ [JSON.stringify({ 'realtime.namespace': '/' })]: 1 });
    expect(points['realtime.recovery.resyncs']).toEqual({
      [JSON.stringify({ 'realtime.namespace': '/', 'realtime.reason': 'WINDOW_EXPIRED' })]: 1,
    });
  });

  it('reports Redis readiness per role, reconnects, and the messages buffered and dropped while Redis was down', async () => {
    const redis = await RedisServer.start(); // our own: the test stops it
    try {
      const recovery = { bufferMaxMessages: 3 };
      const options = { redis: { url: redis.url, keyPrefix: uniquePrefix('metrics') }, recovery, presence: false as const };
      const app = await bed.app({ options, providers: [MeteredGateway] });
      const alice = await bed.client(app);
      const ready = async () => (await reader.points())['realtime.redis.ready'];
      const role = (connections: string) => JSON.stringify({ 'realtime.connections': connections });
      expect(await ready()).toEqual({ [role('stream, stream-read, stream-sub')]: 1 });

      await redis.stop();
      await bed.logger.waitFor(/is unavailable/);
      expect(await ready()).toEqual({ [role('stream, stream-read, stream-sub')]: 0 });
      const broadcasts = app.get(WebsocketBroadcastService);
      for (let n = 1; n <= 5; n++) await broadcasts.broadcast('news', n);
      const resync = nextEvent(alice, 'realtime:resync', 10_000);
      await redis.start();
      await bed.logger.waitFor(/is back/);
      await resync;

      const points = await reader.points();
      expect(points['realtime.redis.ready']).toEqual({ [role('stream, stream-read, stream-sub')]: 1 });
      expect(points['realtime.redis.reconnects']).toEqual({ [role('stream, stream-read, stream-sub')]: 1 });
      expect(points['realtime.recovery.buffered']).toEqual({ '{}': 5 });
      expect(points['realtime.recovery.dropped']).toEqual({ '{}': 2 });
    } finally {
      await redis.stop();
    }
  });
});
