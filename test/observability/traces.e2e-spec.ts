import { UseFilters } from '@nestjs/common';
import { MessageBody, SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { RealtimeException, RealtimeExceptionFilter } from '../../lib/index.js';
import { signTestToken } from '../../lib/testing/index.js';
import { TestBed } from '../utils/test-bed.js';

const secret = 'traces-secret';

@WebSocketGateway()
@UseFilters(RealtimeExceptionFilter)
class TracedGateway {
  @SubscribeMessage('echo')
  echo(@MessageBody() data: unknown): unknown {
    // a span of the app's own, inside the handler: a child of the message's span
    trace.getTracer('app').startSpan('app work').end();
    return data;
  }

  @SubscribeMessage('fail')
  fail(): never {
    throw new RealtimeException('FORBIDDEN', 'No');
  }
}

describe('a span per handled message, through the OpenTelemetry API', () => {
  const exporter = new InMemorySpanExporter();
  let bed: TestBed;

  beforeAll(() => {
    // an app's SDK, as NodeSDK sets it up: a tracer provider, the W3C propagator and a context manager,
    // registered before the app boots
    trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }));
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  });
  afterAll(() => {
    trace.disable();
    propagation.disable();
    context.disable();
  });
  beforeEach(() => (bed = new TestBed()));
  afterEach(() => bed.close());

  it('names it `<namespace> <event>`, makes it a child of the traceparent the client sent, and records the outcome and error code', async () => {
    const traceId = '0af7651916cd43dd8448eb211c80319c';
    const clientSpanId = 'b7ad6b7169203331';
    const app = await bed.app({ options: { auth: { secret } }, providers: [TracedGateway] });
    const client = await bed.client(app, {
      auth: { token: signTestToken({ sub: 'alice' }, secret), traceparent: `00-${traceId}-${clientSpanId}-01` },
    });
    await client.emitWithAck('echo', 'hi');
    await expect(client.emitWithAck('fail', {})).resolves.toMatchObject({ code: 'FORBIDDEN' });

    const spans = exporter.getFinishedSpans();
    const echo = spans.find((span) => span.name === '/ echo')!;
    const fail = spans.find((span) => span.name === '/ fail')!;
    const appWork = spans.find((span) => span.name === 'app work')!;
    expect(echo.kind).toBe(SpanKind.SERVER);
    expect(echo.spanContext().traceId).toBe(traceId);
    expect(echo.parentSpanContext?.spanId).toBe(clientSpanId);
    expect(echo.attributes).toEqual({ 'realtime.namespace': '/', 'realtime.event': 'echo', 'realtime.outcome': 'ok' });
    expect(appWork.parentSpanContext?.spanId).toBe(echo.spanContext().spanId);
    expect(fail.attributes).toEqual({
      'realtime.namespace': '/',
      'realtime.event': 'fail',
      'realtime.outcome': 'error',
      'realtime.code': 'FORBIDDEN',
    });
    expect(fail.status).toEqual({ code: SpanStatusCode.ERROR, message: 'FORBIDDEN' });
  });
});
