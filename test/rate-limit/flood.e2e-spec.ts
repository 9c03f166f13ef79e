import { WebSocketGateway, type OnGatewayConnection } from '@nestjs/websockets';
import type { Socket as ServerSocket } from 'socket.io';
import type { Socket } from 'socket.io-client';
import { EchoGateway } from '../adapter/echo.gateway.js';
import { collect, nextEvent } from '../utils/events.js';
import { TestBed } from '../utils/test-bed.js';

async function echoLatencies(socket: Socket, count: number): Promise<number[]> {
  const latencies: number[] = [];
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    await socket.emitWithAck('echo', i);
    latencies.push(performance.now() - started);
  }
  return latencies;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/** The echo gateway with a socket middleware of the app's own, which records the events it lets through. */
@WebSocketGateway()
class AuditedEchoGateway extends EchoGateway implements OnGatewayConnection {
  readonly audited: unknown[] = [];

  handleConnection(client: ServerSocket): void {
    client.use(([event], next) => {
      this.audited.push(event);
      next();
    });
  }
}

describe('flood control', () => {
  let bed: TestBed;
  beforeEach(() => (bed = new TestBed()));
  afterEach(() => bed.close());

  it('refuses events over the limit with RATE_LIMITED, by ack or by one exception event', async () => {
    const app = await bed.app({ options: { rateLimit: { points: 5, durationMs: 60_000 } }, providers: [EchoGateway] });
    const client = await bed.client(app);
    for (let i = 0; i < 5; i++) expect(await client.emitWithAck('echo', i)).toBe(i);

    expect(await client.emitWithAck('echo', 'one too many')).toEqual({
      status: 'error',
      code: 'RATE_LIMITED',
      message: 'Too many events; slow down',
    });
    const exception = nextEvent(client, 'exception');
    client.emit('shout', 'not dispatched');
    expect(await exception).toEqual({ status: 'error', code: 'RATE_LIMITED', message: 'Too many events; slow down', event: 'shout' });
  });

  it("runs before the app's own socket middleware, which sees only the events it admits", async () => {
    const app = await bed.app({ options: { rateLimit: { points: 3, durationMs: 60_000 } }, providers: [AuditedEchoGateway] });
    const client = await bed.client(app);

    const answers = [];
    for (let i = 0; i < 4; i++) answers.push(await client.emitWithAck('echo', i));

    expect(answers).toEqual([0, 1, 2, expect.objectContaining({ code: 'RATE_LIMITED' })]);
    expect(app.get(AuditedEchoGateway).audited).toEqual(['echo', 'echo', 'echo']);
  });

  it('disconnects a socket flooding 10,000 events while another socket keeps its latency', async () => {
    const app = await bed.app({ options: { rateLimit: { points: 50, durationMs: 1000 } }, providers: [EchoGateway] });
    const [flooder, bystander] = [await bed.client(app), await bed.client(app)];
    const heardShouts: unknown[] = [];
    bystander.on('shout', (data) => heardShouts.push(data));
    const baseline = median(await echoLatencies(bystander, 20));

    const floodReplies = collect(flooder, 'exception');
    const disconnected = nextEvent(flooder, 'disconnect', 10_000);
    for (let i = 0; i < 10_000; i++) flooder.emit('shout', i);
    const duringFlood = await echoLatencies(bystander, 20);

    expect(await disconnected).toBe('io server disconnect');
    // Loose on purpose (2 noisy cores): the point is that the bystander is not starved.
    expect(median(duringFlood)).toBeLessThan(baseline * 20 + 50);
    expect(heardShouts.length).toBeLessThanOrEqual(50); // only the bucket's worth was dispatched
    expect(floodReplies).toHaveLength(1); // told once, not echoed back thousands of times
    expect(await bystander.emitWithAck('echo', 'still here')).toBe('still here');
  });

  it('closes only the socket that sends a packet over maxHttpBufferSize', async () => {
    const app = await bed.app({ options: { maxHttpBufferSize: 10_000 }, providers: [EchoGateway] });
    const [big, other] = [await bed.client(app), await bed.client(app)];
    const closed = nextEvent(big, 'disconnect');

    big.emit('echo', 'x'.repeat(20_000));

    expect(await closed).toBe('transport close');
    expect(await other.emitWithAck('echo', 'unaffected')).toBe('unaffected');
  });
});
