import type { INestApplication } from '@nestjs/common';
import { MessageBody, SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import { once } from 'node:events';
import { connect } from 'node:net';
import { WebSocket, type ClientOptions } from 'ws';
import {
  PresenceService,
  RealtimeException,
  RealtimeModule,
  RoomService,
  SocketIoRequiredError,
  WebsocketBroadcastService,
  WsAuth,
  WsUser,
} from '../../lib/index.js';
import { signTestToken } from '../../lib/testing/index.js';
import { RealtimeWsAdapter } from '../../lib/ws/index.js';
import { freePort } from '../utils/redis-server.js';
import { TestBed, hostModule } from '../utils/test-bed.js';
import { NestFactory } from '@nestjs/core';

const secret = 'native-ws-secret';
const token = (sub: string, claims: object = {}) => signTestToken({ sub, ...claims }, secret);

@WebSocketGateway()
class NativeGateway {
  connections = 0;

  handleConnection(): void {
    this.connections++;
  }

  @SubscribeMessage('echo')
  echo(@MessageBody() data: unknown): unknown {
    return { event: 'echo', data };
  }

  @WsAuth()
  @SubscribeMessage('whoami')
  whoami(@WsUser('sub') sub: string): unknown {
    return { event: 'whoami', data: sub };
  }

  @WsAuth({ roles: ['admin'] })
  @SubscribeMessage('admin')
  admin(): unknown {
    return { event: 'admin', data: 'yes' };
  }

  @WsAuth()
  @SubscribeMessage('fail')
  fail(): never {
    throw new RealtimeException('BAD_REQUEST', 'Nope');
  }
}

/** A `ws` client that keeps every frame it receives, parsed, and how it closed. */
class Client {
  readonly frames: { event: string; data: unknown }[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  private waiting?: () => void;

  constructor(readonly socket: WebSocket) {
    socket.on('message', (raw: Buffer) => {
      this.frames.push(JSON.parse(raw.toString()) as { event: string; data: unknown });
      this.waiting?.();
    });
    this.closed = once(socket, 'close').then(([code, reason]) => ({ code: code as number, reason: String(reason) }));
  }

  static async open(url: string, protocols?: string[], options?: ClientOptions): Promise<Client> {
    const client = new Client(new WebSocket(url, protocols, options));
    await once(client.socket, 'open');
    return client;
  }

  send(event: string, data?: unknown): void {
    this.socket.send(JSON.stringify({ event, data }));
  }

  /** The next frame not yet taken. */
  async next(): Promise<{ event: string; data: unknown }> {
    while (this.frames.length === 0) await new Promise<void>((resolve) => (this.waiting = resolve));
    return this.frames.shift()!;
  }
}

describe('native ws gateways (nestjs-realtime/ws)', () => {
  let bed: TestBed;
  let app: INestApplication;
  let url: string;
  const clients: Client[] = [];

  beforeEach(async () => {
    bed = new TestBed();
    const options = { auth: { secret }, rateLimit: { points: 5, durationMs: 60_000 }, maxHttpBufferSize: 2000 };
    app = await NestFactory.create(hostModule({ imports: [RealtimeModule.forRoot(options)], providers: [NativeGateway] }), {
      logger: bed.logger,
    });
    bed.defer(() => app.close());
    app.useWebSocketAdapter(new RealtimeWsAdapter(app));
    await app.listen(0, '127.0.0.1');
    url = `ws://127.0.0.1:${(app.getHttpServer().address() as { port: number }).port}`;
  });
  afterEach(async () => {
    clients.splice(0).forEach((client) => client.socket.terminate());
    await bed.close();
  });

  async function open(path = '/', protocols?: string[], options?: ClientOptions): Promise<Client> {
    const client = await Client.open(`${url}${path}`, protocols, options);
    clients.push(client);
    return client;
  }

  it('takes the handshake token from the Authorization header, the token query parameter or the bearer subprotocol', async () => {
    const fromHeader = await open('/', undefined, { headers: { authorization: `Bearer ${token('header')}` } });
    const fromQuery = await open(`/?token=${token('query')}`);
    const fromProtocol = await open('/', ['bearer', token('protocol')]);
    for (const client of [fromHeader, fromQuery, fromProtocol]) client.send('whoami');

    expect(await fromHeader.next()).toEqual({ event: 'whoami', data: 'header' });
    expect(await fromQuery.next()).toEqual({ event: 'whoami', data: 'query' });
    expect(await fromProtocol.next()).toEqual({ event: 'whoami', data: 'protocol' });
    expect(fromProtocol.socket.protocol).toBe('bearer'); // a browser drops a connection without it
  });

  it('refuses a bad handshake with an exception frame and close code 4401, before the gateway sees it', async () => {
    const refusals = [
      [await open('/'), 'TOKEN_MISSING'],
      [await open('/?token=not-a-jwt'), 'TOKEN_INVALID'],
      [await open(`/?token=${token('late', { exp: Math.floor(Date.now() / 1000) - 60 })}`), 'TOKEN_EXPIRED'],
    ] as const;
    for (const [client, code] of refusals) {
      expect(await client.next()).toEqual({ event: 'exception', data: { status: 'error', code, message: 'Unauthorized' } });
      expect(await client.closed).toEqual({ code: 4401, reason: code });
    }
    expect(app.get(NativeGateway).connections).toBe(0);
  });

  it('answers errors of handlers and guards as exception frames naming the event', async () => {
    const client = await open(`/?token=${token('alice')}`);
    client.send('admin');
    expect(await client.next()).toEqual({
      event: 'exception',
      data: { status: 'error', code: 'FORBIDDEN', message: 'Requires the role admin', event: 'admin' },
    });
    client.send('fail');
    expect(await client.next()).toEqual({
      event: 'exception',
      data: { status: 'error', code: 'BAD_REQUEST', message: 'Nope', event: 'fail' },
    });
    client.send('echo', 'still here');
    expect(await client.next()).toEqual({ event: 'echo', data: 'still here' });
  });

  it('limits the rate of messages: over the limit, one RATE_LIMITED frame per burst and no dispatch', async () => {
    const client = await open(`/?token=${token('flooder')}`);
    for (let i = 1; i <= 8; i++) client.send('echo', i);
    client.socket.ping(); // the pong comes after every frame the server sent for the eight
    await once(client.socket, 'pong');
    // the refusal is sent at once, the handlers' answers when they resolve: compared without order
    expect(client.frames).toHaveLength(6);
    expect(client.frames).toEqual(
      expect.arrayContaining([
        ...[1, 2, 3, 4, 5].map((i) => ({ event: 'echo', data: i })),
        { event: 'exception', data: { status: 'error', code: 'RATE_LIMITED', message: 'Too many events; slow down', event: 'echo' } },
      ]),
    );
  });

  it('closes a connection that sends a frame over maxHttpBufferSize (1009), and only that one', async () => {
    const big = await open(`/?token=${token('big')}`);
    const other = await open(`/?token=${token('other')}`);
    big.send('echo', 'x'.repeat(3000));
    expect((await big.closed).code).toBe(1009);
    other.send('echo', 'fine');
    expect(await other.next()).toEqual({ event: 'echo', data: 'fine' });
  });

  it('makes rooms, broadcasting and presence fail with a clear error: they are socket.io features', async () => {
    await expect(app.get(WebsocketBroadcastService).sendToUser('alice', 'x', 1)).rejects.toThrow(SocketIoRequiredError);
    await expect(app.get(PresenceService).isOnline('alice')).rejects.toThrow(SocketIoRequiredError);
    await expect(app.get(RoomService).joinUser('alice', 'lobby')).rejects.toThrow(
      "RoomService join is a socket.io feature, and this app's gateways run on the native ws adapter (nestjs-realtime/ws)",
    );
  });

  it('keeps what a client sends during an asynchronous handshake for the gateway, and closes the connection when the token expires', async () => {
    const validate = async (payload: object) => {
      await new Promise((resolve) => setTimeout(resolve, 50));
      return payload;
    };
    const slow = await NestFactory.create(
      hostModule({ imports: [RealtimeModule.forRoot({ auth: { secret, validate } })], providers: [NativeGateway] }),
      {
        logger: bed.logger,
      },
    );
    bed.defer(() => slow.close());
    slow.useWebSocketAdapter(new RealtimeWsAdapter(slow));
    await slow.listen(0, '127.0.0.1');
    const port = (slow.getHttpServer().address() as { port: number }).port;
    // `exp` is in whole seconds: at least one second from now, so that it cannot lapse before the echo
    const exp = Math.ceil(Date.now() / 1000) + 1;
    const client = await Client.open(`ws://127.0.0.1:${port}/?token=${token('early', { exp })}`);
    clients.push(client);
    client.send('echo', 'sent before the handshake finished');
    expect(await client.next()).toEqual({ event: 'echo', data: 'sent before the handshake finished' });

    expect(await client.next()).toEqual({ event: 'exception', data: { status: 'error', code: 'TOKEN_EXPIRED', message: 'Unauthorized' } });
    expect(await client.closed).toEqual({ code: 4401, reason: 'TOKEN_EXPIRED' });
  });

  it('refuses a handshake whose request target no URL parser takes (`//[`), and keeps serving', async () => {
    // On a port of its own, the gateway's ws server hands every upgrade to the adapter, whatever its path.
    const port = await freePort();
    class OwnPortGateway {}
    WebSocketGateway(port)(OwnPortGateway);
    const own = await NestFactory.create(
      hostModule({ imports: [RealtimeModule.forRoot({ auth: { secret } })], providers: [OwnPortGateway] }),
      {
        logger: bed.logger,
      },
    );
    bed.defer(() => own.close());
    own.useWebSocketAdapter(new RealtimeWsAdapter(own));
    await own.listen(0, '127.0.0.1');

    const raw = connect(port, '127.0.0.1');
    bed.defer(() => raw.destroy());
    await once(raw, 'connect');
    let received = '';
    const refused = new Promise<void>((resolve) =>
      raw.on('data', (chunk: Buffer) => {
        received += chunk.toString('latin1');
        if (received.includes('"code":"TOKEN_MISSING"')) resolve();
      }),
    );
    raw.write(
      'GET //[ HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
    );
    await refused; // the refusal frame, unmasked: its JSON is readable in the bytes
    expect(received).toMatch(/^HTTP\/1\.1 101 /);

    const client = await Client.open(`ws://127.0.0.1:${port}/?token=${token('after')}`);
    clients.push(client);
    expect(client.socket.readyState).toBe(WebSocket.OPEN);
  });
});
