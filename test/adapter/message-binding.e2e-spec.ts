import { Injectable, UseInterceptors, type CallHandler, type INestApplication, type NestInterceptor } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { IoAdapter } from '@nestjs/platform-socket.io';
import { Ack, MessageBody, SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import { EventEmitter, once } from 'node:events';
import { finalize, interval, map, of, type Observable } from 'rxjs';
import type { Socket } from 'socket.io-client';
import { RealtimeModule, RedisIoAdapterFactory } from '../../lib/index.js';
import { connectClient } from '../../lib/testing/index.js';
import { collect, nextEvent } from '../utils/events.js';
import { hostModule } from '../utils/test-bed.js';

@Injectable()
class UpperCaseInterceptor implements NestInterceptor {
  intercept(_context: unknown, next: CallHandler): Observable<unknown> {
    return next.handle().pipe(map((value) => String(value).toUpperCase()));
  }
}

/** Tells the test when a streaming result was torn down. */
const streams = new EventEmitter();

/** What a handler can return or do, as Nest's own binding handles it. */
@WebSocketGateway()
class BindingGateway {
  @SubscribeMessage('ws-response')
  wsResponse(@MessageBody() data: unknown) {
    return { event: 'reply', data };
  }

  @SubscribeMessage('observable')
  observable() {
    return of(1, 2, 3).pipe(map((n) => ({ event: 'tick', data: n })));
  }

  @SubscribeMessage('stream')
  stream() {
    return interval(5).pipe(
      map((n) => ({ event: 'streamed', data: n })),
      finalize(() => streams.emit('finalized')),
    );
  }

  @SubscribeMessage('manual')
  manual(@MessageBody() data: unknown, @Ack() ack: (reply: unknown) => void) {
    ack({ acked: data });
    return 'not sent: the handler acked by hand';
  }

  @UseInterceptors(UpperCaseInterceptor)
  @SubscribeMessage('intercepted')
  intercepted(@MessageBody() data: string) {
    return data;
  }

  @SubscribeMessage('describe')
  describe(@MessageBody() data: unknown) {
    return { kind: data === undefined ? 'undefined' : Array.isArray(data) ? 'array' : typeof data, data: data ?? null };
  }

  @SubscribeMessage('async')
  async asyncValue(@MessageBody() data: number) {
    await new Promise((resolve) => setImmediate(resolve));
    return { doubled: data * 2 };
  }

  @SubscribeMessage('async-observable')
  async asyncObservable() {
    await new Promise((resolve) => setImmediate(resolve));
    return of('one', 'two').pipe(map((word) => ({ event: 'word', data: word })));
  }

  @SubscribeMessage('nothing')
  nothing() {
    return undefined;
  }

  @SubscribeMessage('twice')
  twiceFirst() {
    return { event: 'twice', data: 'first' };
  }

  @SubscribeMessage('twice')
  twiceSecond() {
    return { event: 'twice', data: 'second' };
  }
}

describe.each([
  ["Nest's stock IoAdapter", (app: INestApplication) => Promise.resolve(new IoAdapter(app))],
  ['RedisIoAdapter (one dispatcher per socket)', (app: INestApplication) => app.get(RedisIoAdapterFactory).create(app)],
])('message binding with %s', (_name, createAdapter) => {
  let app: INestApplication;
  let client: Socket;

  beforeEach(async () => {
    app = await NestFactory.create(
      hostModule({ imports: [RealtimeModule.forRoot({})], providers: [BindingGateway, UpperCaseInterceptor] }),
      { logger: false },
    );
    app.useWebSocketAdapter(await createAdapter(app));
    await app.listen(0, '127.0.0.1');
    client = await connectClient(app);
  });
  afterEach(async () => {
    client.close();
    await app.close();
  });

  it('emits a WsResponse as its event instead of acking it', async () => {
    const reply = nextEvent(client, 'reply');
    client.emit('ws-response', 'hi');
    expect(await reply).toBe('hi');
  });

  it('sends every value of an Observable result', async () => {
    const ticks = collect(client, 'tick');
    const third = new Promise<void>((resolve) => client.on('tick', (n: number) => n === 3 && resolve()));
    client.emit('observable');
    await third;
    expect(ticks).toEqual([1, 2, 3]);
  });

  it('runs every method subscribed to the same message, in order', async () => {
    const both = new Promise<string[]>((resolve) => {
      const replies: string[] = [];
      client.on('twice', (reply: string) => replies.push(reply) === 2 && resolve(replies));
    });
    client.emit('twice');
    expect(await both).toEqual(['first', 'second']);
  });

  it('unsubscribes a result still streaming when the socket disconnects', async () => {
    const first = nextEvent(client, 'streamed');
    client.emit('stream');
    await first;
    const finalized = once(streams, 'finalized');

    client.close();

    await expect(finalized).resolves.toEqual([]);
  }, 5000);

  it('acks the value of an async handler', async () => {
    expect(await client.emitWithAck('async', 21)).toEqual({ doubled: 42 });
  });

  it('sends every value of an Observable that an async handler resolves with', async () => {
    const words = collect(client, 'word');
    const second = new Promise<void>((resolve) => client.on('word', (word: string) => word === 'two' && resolve()));
    client.emit('async-observable');
    await second;
    expect(words).toEqual(['one', 'two']);
  });

  it('leaves the ack to a handler that acks by hand with @Ack()', async () => {
    expect(await client.emitWithAck('manual', 7)).toEqual({ acked: 7 });
  });

  it('runs interceptors on the result', async () => {
    expect(await client.emitWithAck('intercepted', 'quiet')).toBe('QUIET');
  });

  it('maps arguments as Nest does: none, one, several', async () => {
    expect(await client.emitWithAck('describe')).toEqual({ kind: 'undefined', data: null });
    expect(await client.emitWithAck('describe', { a: 1 })).toEqual({ kind: 'object', data: { a: 1 } });
    expect(await client.emitWithAck('describe', 1, 2)).toEqual({ kind: 'array', data: [1, 2] });
  });
});
