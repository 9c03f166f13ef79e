// The server under test, one variant per process (pinned to its own core by harness.mjs).
//   BENCH_SERVER: ws (the ws package alone) | raw (socket.io alone) | nest (stock Nest gateway, IoAdapter)
//                 | realtime (nestjs-realtime)
//   HANDLERS: message handlers on the gateway; AUTH: jwt | none
//   REDIS_URL + KEY_PREFIX: scale out over Redis (raw: @socket.io/redis-adapter; realtime: its `redis` option)
//   REDIS_NODES (JSON startup nodes) + REDIS_MODE ('pubsub' | 'sharded') + KEY_PREFIX: realtime over a Redis Cluster
//   ROOM_SIZE: users user0..user<ROOM_SIZE-1> join the room `bench-room` when they connect
//   RECOVERY=1: realtime with `recovery: true` (connection state recovery)
//   BUFFERUTIL=1: ws with its native `bufferutil` addon (harness.mjs turns it off otherwise)
//   ENGINE=cws: realtime with `engine: 'cws'` (socket.io on cWS, @encharm/cws)
//   TELEMETRY: absent (@opentelemetry/api hidden, see harness.mjs) | sdk (metrics and spans recorded into
//              memory) | sdk-metrics | sdk-traces (one of them) | sdk-sampled (metrics, and spans for one
//              trace in ten) | unset (the API installed, no SDK registered)
// Answers the parent's IPC messages: 'measure' (memory after GC, CPU time), 'fanout' (emit to all),
// 'toRoom' (emit to `bench-room`), 'sendToUsers' (one message to each of `users` users) and
// 'presence' (latency of presence and membership look-ups), each with a reply carrying the same `type`.
import 'reflect-metadata';
import { createSecretKey } from 'node:crypto';
import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { createServer } from 'node:http';
import jwt from 'jsonwebtoken';

const {
  BENCH_SERVER: kind,
  HANDLERS = '1',
  AUTH = 'none',
  SECRET = 'bench-secret',
  REDIS_URL,
  REDIS_NODES,
  REDIS_MODE,
  KEY_PREFIX = 'bench',
  ROOM_SIZE = '0',
  RECOVERY,
  ROOM_EVENTS,
  TELEMETRY,
  ENGINE,
} = process.env;
const handlerNames = Array.from({ length: Number(HANDLERS) }, (_, i) => (i === 0 ? 'echo' : `noop${i}`));
/** @type {Partial<import('socket.io').ServerOptions>} */
const serverOptions = { transports: ['websocket'], serveClient: false };
const ROOM = 'bench-room';
const inRoom = (user) => user !== undefined && Number(user.sub.slice('user'.length)) < Number(ROOM_SIZE);
// As a hand-written server would: the key made once (a string secret costs ~450 µs a verify).
const key = createSecretKey(Buffer.from(SECRET));
const verify = (token) => jwt.verify(token, key, { algorithms: ['HS256'] });

/** ws alone: JSON `{ id, event, data }` in, `{ id, data }` back; the token in the `token` query parameter. */
async function wsServer() {
  const { WebSocketServer } = await import('ws');
  const http = createServer();
  const handlers = new Map(handlerNames.map((name) => [name, (data) => data]));
  const wss = new WebSocketServer({ server: http });
  wss.on('connection', (socket, request) => {
    if (AUTH === 'jwt') {
      try {
        Object.assign(socket, { user: verify(new URL(request.url, 'http://localhost').searchParams.get('token')) });
      } catch {
        return socket.close(4401, 'Unauthorized');
      }
    }
    socket.on('message', (raw) => {
      const { id, event, data } = JSON.parse(raw.toString());
      const handler = handlers.get(event);
      if (handler) socket.send(JSON.stringify({ id, data: handler(data) }));
    });
  });
  http.listen(0, '127.0.0.1');
  await once(http, 'listening');
  const broadcast = (event, data) => {
    const frame = JSON.stringify({ event, data });
    for (const client of wss.clients) client.send(frame);
  };
  return { port: portOf(http), fanout: broadcast };
}

async function rawServer() {
  const { Server } = await import('socket.io');
  const http = createServer();
  const io = new Server(http, serverOptions);
  if (REDIS_URL) {
    const { Redis } = await import('ioredis');
    const { createAdapter } = await import('@socket.io/redis-adapter');
    const pub = new Redis(REDIS_URL);
    io.adapter(createAdapter(pub, pub.duplicate(), { key: KEY_PREFIX }));
  }
  if (AUTH === 'jwt') {
    io.use((socket, next) => {
      try {
        socket.data.user = verify(socket.handshake.auth.token);
        socket.join(`user:${socket.data.user.sub}`);
        next();
      } catch {
        next(new Error('Unauthorized'));
      }
    });
  }
  io.on('connection', (socket) => {
    if (inRoom(socket.data.user)) socket.join(ROOM);
    for (const name of handlerNames) socket.on(name, (data, ack) => typeof ack === 'function' && ack(data));
  });
  http.listen(0, '127.0.0.1');
  await once(http, 'listening');
  return {
    port: portOf(http),
    fanout: (event, data) => io.emit(event, data),
    toRoom: (event, data) => io.to(ROOM).emit(event, data),
    sendToUser: (userId, event, data) => io.to(`user:${userId}`).emit(event, data),
    // What a hand-written app asks the Redis adapter for the same answers.
    isOnline: async (userId) => (await io.in(`user:${userId}`).fetchSockets()).length > 0,
    members: async (room) => (await io.in(room).fetchSockets()).map((socket) => ({ socketId: socket.id, userId: socket.data.user?.sub })),
  };
}

async function nestServer(realtime) {
  const { Module } = await import('@nestjs/common');
  const { NestFactory } = await import('@nestjs/core');
  const { IoAdapter } = await import('@nestjs/platform-socket.io');
  const { MessageBody, SubscribeMessage, WebSocketGateway, WebSocketServer } = await import('@nestjs/websockets');
  // The built package (`npm run bench` builds it first); a path in a variable, so that type-checking
  // bench/ does not need a build.
  const builtPackage = '../dist/esm/index.js';
  const library = realtime ? await import(builtPackage) : undefined;

  class Gateway {}
  for (const name of handlerNames) {
    Gateway.prototype[name] = function (data) {
      return data;
    };
    SubscribeMessage(name)(Gateway.prototype, name, Object.getOwnPropertyDescriptor(Gateway.prototype, name));
    MessageBody()(Gateway.prototype, name, 0);
  }
  if (Number(ROOM_SIZE) > 0) {
    Gateway.prototype.handleConnection = function (socket) {
      // Stock Nest has no handshake auth: a hand-written gateway verifies the token here.
      if (!realtime && AUTH === 'jwt') socket.data.user = verify(socket.handshake.auth.token);
      if (inRoom(socket.data.user)) socket.join(ROOM);
    };
  }
  WebSocketServer()(Gateway.prototype, 'server');
  WebSocketGateway(serverOptions)(Gateway);

  const options = {
    auth: AUTH === 'jwt' ? { secret: SECRET } : undefined,
    rateLimit: { points: 1e9, durationMs: 1000 },
    redis: REDIS_NODES
      ? { nodes: JSON.parse(REDIS_NODES), keyPrefix: KEY_PREFIX, mode: REDIS_MODE }
      : REDIS_URL
        ? { url: REDIS_URL, keyPrefix: KEY_PREFIX }
        : undefined,
    recovery: RECOVERY === '1',
    presence: ROOM_EVENTS === 'off' ? { roomEvents: false } : undefined,
    engine: ENGINE,
  };
  class AppModule {}
  Module({ imports: realtime ? [library.RealtimeModule.forRoot(options)] : [], providers: [Gateway] })(AppModule);
  const app = await NestFactory.create(AppModule, { logger: ['error'] });
  app.useWebSocketAdapter(realtime ? await app.get(library.RedisIoAdapterFactory).create(app) : new IoAdapter(app));
  await app.listen(0, '127.0.0.1');
  const io = /** @type {{ server: import('socket.io').Server }} */ (app.get(Gateway)).server;
  const base = {
    port: app.getHttpServer().address().port,
    fanout: (event, data) => io.emit(event, data),
    toRoom: (event, data) => io.to(ROOM).emit(event, data),
  };
  if (!realtime) return base;
  const broadcast = app.get(library.WebsocketBroadcastService);
  const presence = app.get(library.PresenceService);
  const rooms = app.get(library.RoomService);
  return {
    ...base,
    toRoom: (event, data) => broadcast.sendToRoom(ROOM, event, data),
    sendToUser: (userId, event, data) => broadcast.sendToUser(userId, event, data),
    isOnline: (userId) => presence.isOnline(userId),
    members: (room) => rooms.members(room),
  };
}

/** The port a listening HTTP server is on. */
function portOf(/** @type {import('node:http').Server} */ http) {
  return /** @type {import('node:net').AddressInfo} */ (http.address()).port;
}

/** Times `count` sequential calls of `operation`, in ms. */
async function latencies(count, operation) {
  const times = [];
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    await operation(i);
    times.push(performance.now() - started);
  }
  return times;
}

if (TELEMETRY?.startsWith('sdk')) {
  await registerOpenTelemetrySdk(TELEMETRY !== 'sdk-traces', TELEMETRY !== 'sdk-metrics', TELEMETRY === 'sdk-sampled' ? 0.1 : 1);
}

/** An app's OpenTelemetry SDK, exporting metrics and/or spans (the `sampled` share of traces) into memory (emptied every second). */
async function registerOpenTelemetrySdk(withMetrics, withTraces, sampled) {
  const { metrics, trace } = await import('@opentelemetry/api');
  const { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader } =
    await import('@opentelemetry/sdk-metrics');
  const { BasicTracerProvider, BatchSpanProcessor, InMemorySpanExporter, ParentBasedSampler, TraceIdRatioBasedSampler } =
    await import('@opentelemetry/sdk-trace-base');
  const metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({ exporter: metricExporter, exportIntervalMillis: 1000 });
  if (withMetrics) metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }));
  const spanExporter = new InMemorySpanExporter();
  const sampler = new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(sampled) });
  if (withTraces)
    trace.setGlobalTracerProvider(new BasicTracerProvider({ sampler, spanProcessors: [new BatchSpanProcessor(spanExporter)] }));
  setInterval(() => (metricExporter.reset(), spanExporter.reset()), 1000).unref();
}

const servers = { ws: wsServer, raw: rawServer, nest: () => nestServer(false), realtime: () => nestServer(true) };
const server = await servers[kind]();
const profiler = process.env.BENCH_CPU_PROF ? await windowProfiler(process.env.BENCH_CPU_PROF) : undefined;
let cpuAt = process.cpuUsage();
let measures = 0;
const answers = {
  // CPU time since the last measure, not counting the forced GCs that make the memory reading stable.
  async measure() {
    const cpu = process.cpuUsage(cpuAt);
    const call = measures++; // the first call opens the measured window, the second closes it
    if (call === 1) await profiler?.stop();
    global.gc();
    global.gc();
    if (call === 0) await profiler?.start();
    cpuAt = process.cpuUsage();
    return { memory: process.memoryUsage(), cpuMs: (cpu.user + cpu.system) / 1000 };
  },
  fanout({ seq }) {
    server.fanout('fanout', seq);
  },
  toRoom({ seq }) {
    server.toRoom('room', seq);
  },
  async sendToUsers({ users, seq }) {
    await Promise.all(Array.from({ length: users }, (_, i) => server.sendToUser(`user${i}`, 'dm', seq)));
  },
  async presence({ users, count }) {
    const pick = (i) => `user${(i * 7919) % users}`;
    return {
      isOnline: await latencies(count, (i) => server.isOnline(pick(i))),
      members: await latencies(count, () => server.members(ROOM)),
      found: (await server.members(ROOM)).length,
    };
  },
};
/** BENCH_CPU_PROF=<dir>: a V8 CPU profile of the window between the first two `measure` calls. */
async function windowProfiler(dir) {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  return {
    start: () => session.post('Profiler.start'),
    async stop() {
      const { profile } = await session.post('Profiler.stop');
      await writeFile(`${dir}/${kind}-${process.pid}.cpuprofile`, JSON.stringify(profile));
    },
  };
}

process.on('message', async (/** @type {any} */ message) => {
  const reply = await answers[message.type](message);
  if (reply) process.send({ type: message.type, ...reply });
});
process.send({ type: 'ready', port: server.port });
