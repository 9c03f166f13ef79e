import type { NestExpressApplication } from '@nestjs/platform-express';
import type { AddressInfo } from 'node:net';
import { connectClient, signTestToken } from 'nestjs-realtime/testing';
import type { Socket } from 'socket.io-client';
import { RedisServer, testRedis } from '../../../test/utils/redis-server.js';
import { createChatApp } from './create-chat-app.js';

const secret = 'example-test-secret';

// The example's own tests, written as a host app would write them with nestjs-realtime/testing.
describe('example chat', () => {
  const apps: NestExpressApplication[] = [];
  const sockets: Socket[] = [];

  async function startExample(redisUrl?: string): Promise<NestExpressApplication> {
    process.env.JWT_SECRET = secret;
    if (redisUrl) process.env.WS_REDIS_URL = redisUrl;
    else delete process.env.WS_REDIS_URL;
    const app = await createChatApp({ logger: false });
    apps.push(app);
    await app.listen(0, '127.0.0.1');
    return app;
  }

  async function connectAs(
    app: NestExpressApplication,
    sub: string,
    options: { roles?: string[]; namespace?: string } = {},
  ): Promise<Socket> {
    const token = signTestToken({ sub, name: sub.toUpperCase(), roles: options.roles ?? ['member'] }, secret);
    const socket = await connectClient(app, { namespace: options.namespace ?? '/chat', token });
    sockets.push(socket);
    return socket;
  }

  const next = <T>(socket: Socket, event: string) => new Promise<T>((resolve) => socket.once(event, resolve));
  const url = (app: NestExpressApplication, path: string) =>
    `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}${path}`;

  afterEach(async () => {
    sockets.splice(0).forEach((socket) => socket.close());
    for (const app of apps.splice(0)) await app.close();
    delete process.env.WS_REDIS_URL;
  });

  it('signs in demo users and refuses a wrong password', async () => {
    const app = await startExample();
    const login = (username: string, password: string) =>
      fetch(url(app, '/api/login'), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username, password }),
      });

    const ok = await login('alice', 'password');
    expect(ok.status).toBe(201);
    expect(await ok.json()).toEqual({ token: expect.any(String), user: { sub: 'alice', name: 'Alice', roles: ['member'] } });
    const wrong = await login('alice', 'nope');
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toEqual(expect.objectContaining({ message: 'Invalid username or password' }));
  });

  it('chats in a room: authorized joins, who is online, messages and typing', async () => {
    const app = await startExample();
    const [alice, bob] = [await connectAs(app, 'alice'), await connectAs(app, 'bob')];

    expect(await alice.emitWithAck('room:join', { room: 'staff' })).toEqual({
      status: 'error',
      code: 'FORBIDDEN',
      message: 'Not allowed to join staff',
    });
    expect(await alice.emitWithAck('room:join', { room: 'general' })).toEqual({ status: 'ok' });
    const aliceSeesBob = (async () => {
      for (;;) {
        const diff = await next<{ joined: string[] }>(alice, 'presence:diff'); // her own arrival may come first
        if (diff.joined.includes('bob')) return diff;
      }
    })();
    expect(await bob.emitWithAck('room:join', { room: 'general' })).toEqual({ status: 'ok' });
    expect(await aliceSeesBob).toEqual({ room: 'general', joined: expect.arrayContaining(['bob']), left: [] });
    const who = (await bob.emitWithAck('chat:who', { room: 'general' })) as { userId: string }[];
    expect(who.sort((x, y) => x.userId.localeCompare(y.userId))).toEqual([
      { userId: 'alice', name: 'Alice' },
      { userId: 'bob', name: 'Bob' },
    ]);

    const typing = next(bob, 'chat:typing');
    alice.emit('chat:typing', { room: 'general' });
    expect(await typing).toEqual({ room: 'general', userId: 'alice', name: 'ALICE' }); // the name in her token, as on messages

    const message = next(bob, 'chat:message');
    expect(await alice.emitWithAck('chat:send', { room: 'general', text: 'hi bob' })).toEqual({ status: 'ok' });
    expect(await message).toEqual({ room: 'general', userId: 'alice', name: 'ALICE', text: 'hi bob', at: expect.any(String) });

    expect(await alice.emitWithAck('chat:send', { room: 'random', text: 'not joined' })).toEqual({
      status: 'error',
      code: 'FORBIDDEN',
      message: 'Join random first',
    });
    for (const blank of ['', '   \n ']) {
      expect(await alice.emitWithAck('chat:send', { room: 'general', text: blank })).toEqual({
        status: 'error',
        code: 'BAD_REQUEST',
        message: 'Validation failed',
        details: [{ field: 'text', message: 'text must not be blank' }],
      });
    }
  });

  it('lets only admins announce', async () => {
    const app = await startExample();
    const [member, admin] = [await connectAs(app, 'alice'), await connectAs(app, 'root', { roles: ['admin'] })];

    expect(await member.emitWithAck('chat:announce', { text: 'hello' })).toEqual({
      status: 'error',
      code: 'FORBIDDEN',
      message: 'Requires the role admin',
    });
    const announcement = next(member, 'chat:announcement');
    expect(await admin.emitWithAck('chat:announce', { text: 'maintenance at 6' })).toEqual({ status: 'ok' });
    expect(await announcement).toEqual({ text: 'maintenance at 6', from: 'ROOT' });
  });

  it('delivers a notification sent over HTTP to the user, and refuses it without a token', async () => {
    const app = await startExample();
    const bobNotifications = await connectAs(app, 'bob', { namespace: '/notifications' });
    const notification = next(bobNotifications, 'notification');
    const send = (authorization?: string) =>
      fetch(url(app, '/api/notifications/bob'), {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(authorization && { authorization }) },
        body: JSON.stringify({ text: 'ping' }),
      });

    expect((await send()).status).toBe(401);
    expect((await send(`Bearer ${signTestToken({ sub: 'alice', name: 'Alice', roles: [] }, secret)}`)).status).toBe(202);
    expect(await notification).toEqual({ text: 'ping', from: 'Alice', at: expect.any(String) });
  });

  it('spans two instances when given WS_REDIS_URL', async () => {
    const redis = await testRedis();
    try {
      const [one, two] = [await startExample(redis.url), await startExample(redis.url)];
      const [alice, bob] = [await connectAs(one, 'alice'), await connectAs(two, 'bob')];
      await Promise.all([alice, bob].map((socket) => socket.emitWithAck('room:join', { room: 'general' })));
      const received = next<{ text: string }>(bob, 'chat:message');

      await alice.emitWithAck('chat:send', { room: 'general', text: 'across instances' });

      expect((await received).text).toBe('across instances');
    } finally {
      sockets.splice(0).forEach((socket) => socket.close());
      for (const app of apps.splice(0)) await app.close();
      await redis.stop();
    }
  });

  it('serves /metrics in Prometheus text format, counting exactly what happened, and /health, down while its Redis is', async () => {
    const redis = await RedisServer.start(); // its own: the test stops it
    try {
      const app = await startExample(redis.url);
      const scrape = async () => parsePrometheus(await (await fetch(url(app, '/metrics'))).text());
      const before = await scrape();
      const alice = await connectAs(app, 'alice');
      await connectAs(app, 'bob');
      await expect(connectClient(app, { namespace: '/chat', token: 'forged' })).rejects.toThrow('Unauthorized');
      await alice.emitWithAck('room:join', { room: 'general' });
      for (const text of ['one', 'two']) await alice.emitWithAck('chat:send', { room: 'general', text });
      await expect(alice.emitWithAck('chat:send', { room: 'elsewhere', text: 'three' })).resolves.toMatchObject({ code: 'BAD_REQUEST' });
      const after = await scrape();

      const scope = 'otel_scope_name="nestjs-realtime"';
      const moved = (name: string) => (after.get(name) ?? 0) - (before.get(name) ?? 0);
      expect(moved(`realtime_handshakes{realtime_namespace="/chat",realtime_outcome="accepted",${scope}}`)).toBe(2);
      expect(
        moved(`realtime_handshakes{realtime_namespace="/chat",realtime_outcome="refused",realtime_code="TOKEN_INVALID",${scope}}`),
      ).toBe(1);
      expect(moved(`realtime_connections{realtime_namespace="/chat",${scope}}`)).toBe(2);
      expect(moved(`realtime_messages{realtime_namespace="/chat",realtime_event="chat:send",${scope}}`)).toBe(3);
      expect(moved(`realtime_broadcasts{realtime_namespace="/chat",realtime_kind="room",${scope}}`)).toBe(2);
      expect(moved(`realtime_client_errors{realtime_code="BAD_REQUEST",${scope}}`)).toBe(1);

      const health = async () => (await fetch(url(app, '/health'))).status;
      expect(await health()).toBe(200);
      await redis.stop();
      await untilStatus(health, 503);
      await redis.start();
      await untilStatus(health, 200);
    } finally {
      await redis.stop();
    }
  });
});

/** `name{labels} value` lines of a Prometheus scrape, `_total` left off counters' names. */
function parsePrometheus(text: string): Map<string, number> {
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    const match = /^(\w+?)(?:_total)?(\{[^}]*\})? ([\d.e+-]+)$/.exec(line);
    if (match) values.set(`${match[1]}${match[2] ?? ''}`, Number(match[3]));
  }
  return values;
}

/** Polls the health endpoint until it answers `status`: the outage and the return are seen by the Redis client in its own time. */
async function untilStatus(health: () => Promise<number>, status: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  while ((await health()) !== status) {
    if (Date.now() > deadline) throw new Error(`/health never answered ${status}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
