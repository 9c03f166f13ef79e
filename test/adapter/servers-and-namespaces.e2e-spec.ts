import { Controller, Get } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import { createServer } from 'node:net';
import { once } from 'node:events';
import {
  NamespaceConflictError,
  RealtimeModule,
  RedisIoAdapterFactory,
  RoomService,
  UnknownNamespaceError,
  WebsocketBroadcastService,
} from '../../lib/index.js';
import { connectClient, signTestToken } from '../../lib/testing/index.js';
import { nextEvent } from '../utils/events.js';
import { freePort, testRedis } from '../utils/redis-server.js';
import { StickyProxy } from '../utils/sticky-proxy.js';
import { hostModule, TestBed, uniquePrefix } from '../utils/test-bed.js';

const secret = 'servers-secret';
const as = (sub: string) => ({ token: signTestToken({ sub }, secret) });

@Controller('ping')
class PingController {
  @Get()
  ping(): string {
    return 'pong';
  }
}

@WebSocketGateway()
class MainGateway {
  @SubscribeMessage('where')
  where(): string {
    return 'main';
  }
}

@WebSocketGateway({ namespace: '/chat' })
class ChatGateway {
  @SubscribeMessage('where')
  where(): string {
    return 'chat';
  }
}

/** Resolves once nothing listens on the port any more. */
async function isFree(port: number): Promise<boolean> {
  const probe = createServer().listen(port, '127.0.0.1');
  const free = await Promise.race([once(probe, 'listening').then(() => true), once(probe, 'error').then(() => false)]);
  if (free) probe.close();
  return free;
}

describe('where gateways listen and which server a service call reaches', () => {
  let bed: TestBed;
  beforeEach(() => (bed = new TestBed()));
  afterEach(() => bed.close());

  it('puts gateways without a port on the module option "port", HTTP on the app port, and closes both with the app', async () => {
    const wsPort = await freePort();
    const app = await bed.app({ options: { port: wsPort, auth: { secret } }, providers: [MainGateway], controllers: [PingController] });
    const httpUrl = `http://127.0.0.1:${(app.getHttpServer().address() as { port: number }).port}`;

    expect(await (await fetch(`${httpUrl}/ping`)).text()).toBe('pong');
    const client = await bed.client(`http://127.0.0.1:${wsPort}`, as('ana'));
    expect(await client.emitWithAck('where')).toBe('main');
    await expect(connectClient(app, as('ana'))).rejects.toThrow(); // not on the app's HTTP server

    await app.close();
    expect(await isFree(wsPort)).toBe(true);
  });

  it('reaches the clients of a gateway on a second port through the services, in its namespace', async () => {
    const chatPort = await freePort();
    @WebSocketGateway(chatPort, { namespace: '/chat' })
    class PortChatGateway extends ChatGateway {}
    const app = await bed.app({ options: { auth: { secret } }, providers: [MainGateway, PortChatGateway] });
    const onMain = await bed.client(app, as('ben'));
    const onChat = await bed.client(`http://127.0.0.1:${chatPort}`, { ...as('cleo'), namespace: '/chat' });
    expect(await onChat.emitWithAck('where')).toBe('chat');

    const toCleo = nextEvent(onChat, 'dm');
    await app.get(WebsocketBroadcastService).sendToUser('cleo', 'dm', 'through the second server', { namespace: '/chat' });
    expect(await toCleo).toBe('through the second server');
    const toBen = nextEvent(onMain, 'dm');
    await app.get(WebsocketBroadcastService).sendToUser('ben', 'dm', 'on the main one');
    expect(await toBen).toBe('on the main one');

    await app.get(RoomService).joinUser('cleo', 'lobby');
    expect(await app.get(RoomService).members('lobby', { namespace: '/chat' })).toEqual([{ socketId: onChat.id, userId: 'cleo' }]);
  });

  it('refuses at boot two servers serving the same namespace, naming both', async () => {
    const [first, second] = [await freePort(), await freePort()];
    @WebSocketGateway(first, { namespace: '/chat' })
    class FirstChat extends ChatGateway {}
    @WebSocketGateway(second, { namespace: '/chat' })
    class SecondChat extends ChatGateway {}
    const app = await NestFactory.create(hostModule({ imports: [RealtimeModule.forRoot()], providers: [FirstChat, SecondChat] }), {
      logger: false,
      abortOnError: false,
    });
    app.useWebSocketAdapter(await app.get(RedisIoAdapterFactory).create(app));

    const error = await app.init().catch((thrown: Error) => thrown);
    await app.close().catch(() => undefined);

    expect(error).toBeInstanceOf(NamespaceConflictError);
    const named = (port: number) => `the socket.io server on port ${port} (path /socket.io)`;
    const [a, b] = (error as Error).message.includes(`servers: ${named(first)}`) ? [first, second] : [second, first];
    expect((error as Error).message).toBe(
      `The namespace "/chat" is served by gateways on two socket.io servers: ${named(a)} and ${named(b)}. ` +
        'Give one of the gateways another namespace, or put both on the same port and path.',
    );
  });

  it('rejects a service call to a namespace no gateway serves, listing those that exist; the option "namespace" sets the default', async () => {
    const app = await bed.app({ options: { auth: { secret } }, providers: [ChatGateway] });
    const client = await bed.client(app, { ...as('dora'), namespace: '/chat' });
    await app.get(RoomService).joinUser('dora', 'lobby');

    const message =
      'No gateway of this app serves the namespace "/" (gateways serve: "/chat"). ' +
      'Pass { namespace } to the call, or set RealtimeModule option "namespace" to the one your gateways use.';
    await expect(app.get(WebsocketBroadcastService).sendToUser('dora', 'x', 1)).rejects.toThrow(new UnknownNamespaceError('/', ['/chat']));
    await expect(app.get(WebsocketBroadcastService).broadcast('x', 1)).rejects.toThrow(message);
    await expect(app.get(RoomService).members('lobby')).rejects.toThrow(message);

    const withDefault = await bed.app({ options: { auth: { secret }, namespace: '/chat' }, providers: [ChatGateway] });
    const other = await bed.client(withDefault, { ...as('eli'), namespace: '/chat' });
    const received = nextEvent(other, 'x');
    await withDefault.get(WebsocketBroadcastService).sendToUser('eli', 'x', 'by the default namespace');
    expect(await received).toBe('by the default namespace');
    expect(client.connected).toBe(true);
  });
});

describe('several instances and the polling transport', () => {
  let redis: Awaited<ReturnType<typeof testRedis>>;
  let bed: TestBed;
  beforeAll(async () => (redis = await testRedis()));
  afterAll(() => redis.stop());
  beforeEach(() => (bed = new TestBed()));
  afterEach(() => bed.close());

  const stickyWarning = /sticky sessions/;

  it('warns once at boot that polling needs sticky sessions when Redis is set and polling allowed', async () => {
    await bed.app({ options: { redis: { url: redis.url, keyPrefix: uniquePrefix('sticky') } }, providers: [MainGateway, ChatGateway] });
    expect(bed.logger.lines.filter((line) => stickyWarning.test(line.message))).toHaveLength(1);
  });

  it('says nothing with websocket only, and websocket clients work across two instances', async () => {
    const options = { redis: { url: redis.url, keyPrefix: uniquePrefix('websocket') }, transports: ['websocket' as const] };
    const [a, b] = await bed.apps(2, { options, providers: [MainGateway] });
    const [onA, onB] = [await bed.client(a), await bed.client(b)];
    const received = nextEvent(onB, 'hello');
    await a.get(WebsocketBroadcastService).broadcast('hello', 'across');
    expect(await received).toBe('across');
    expect(onA.connected).toBe(true);
    expect(bed.logger.lines.filter((line) => stickyWarning.test(line.message))).toEqual([]);
  });

  it('serves a polling client and a websocket client across two instances behind sticky routing, as the README sets it up', async () => {
    const options = { redis: { url: redis.url, keyPrefix: uniquePrefix('sticky-routing') }, auth: { secret } };
    const [a, b] = await bed.apps(2, { options, providers: [MainGateway] });
    const proxy = await StickyProxy.start([a, b].map((app) => (app.getHttpServer().address() as { port: number }).port));
    bed.defer(() => proxy.close());
    // each through the proxy, which sends the first handshake to a, the second to b
    const polling = await bed.client(proxy.url, { ...as('poll'), transports: ['polling'] });
    const upgrading = await bed.client(proxy.url, { ...as('sock'), transports: ['polling', 'websocket'] });
    // The upgrade may be done already by the time the connection resolves.
    if (upgrading.io.engine.transport.name !== 'websocket') await new Promise((resolve) => upgrading.io.engine.once('upgrade', resolve));

    const toPolling = nextEvent(polling, 'dm');
    const toUpgrading = nextEvent(upgrading, 'dm');
    await b.get(WebsocketBroadcastService).sendToUser('poll', 'dm', 'to the polling client');
    await a.get(WebsocketBroadcastService).sendToUser('sock', 'dm', 'to the websocket client');

    expect(await toPolling).toBe('to the polling client');
    expect(await toUpgrading).toBe('to the websocket client');
    expect([polling.io.engine.transport.name, upgrading.io.engine.transport.name]).toEqual(['polling', 'websocket']);
    expect(await polling.emitWithAck('where')).toBe('main');
  });
});
