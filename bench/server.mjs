// The server under test, one variant per process (pinned to its own core by run.mjs).
//   BENCH_SERVER: raw (socket.io alone) | nest (stock Nest gateway, IoAdapter) | realtime (nestjs-realtime)
//   HANDLERS: message handlers on the gateway; AUTH: jwt | none
//   REDIS_URL + KEY_PREFIX: scale out over Redis (raw: @socket.io/redis-adapter; realtime: its `redis` option)
// Answers the parent's IPC messages: 'measure' (memory after GC, CPU time) and 'fanout' (emit to all).
import 'reflect-metadata';
import { createSecretKey } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:http';

const { BENCH_SERVER: kind, HANDLERS = '1', AUTH = 'none', SECRET = 'bench-secret', REDIS_URL, KEY_PREFIX = 'bench' } = process.env;
const handlerNames = Array.from({ length: Number(HANDLERS) }, (_, i) => (i === 0 ? 'echo' : `noop${i}`));
const serverOptions = { transports: ['websocket'], serveClient: false };

async function rawServer() {
  const { Server } = await import('socket.io');
  const jwt = (await import('jsonwebtoken')).default;
  const http = createServer();
  const io = new Server(http, serverOptions);
  if (REDIS_URL) {
    const { Redis } = await import('ioredis');
    const { createAdapter } = await import('@socket.io/redis-adapter');
    const pub = new Redis(REDIS_URL);
    io.adapter(createAdapter(pub, pub.duplicate(), { key: KEY_PREFIX }));
  }
  if (AUTH === 'jwt') {
    const key = createSecretKey(Buffer.from(SECRET));
    io.use((socket, next) => {
      try {
        socket.data.user = jwt.verify(socket.handshake.auth.token, key, { algorithms: ['HS256'] });
        socket.join(`user:${socket.data.user.sub}`);
        next();
      } catch {
        next(new Error('Unauthorized'));
      }
    });
  }
  io.on('connection', (socket) => {
    for (const name of handlerNames) socket.on(name, (data, ack) => typeof ack === 'function' && ack(data));
  });
  http.listen(0, '127.0.0.1');
  await once(http, 'listening');
  return { port: http.address().port, io };
}

async function nestServer(realtime) {
  const { Module } = await import('@nestjs/common');
  const { NestFactory } = await import('@nestjs/core');
  const { IoAdapter } = await import('@nestjs/platform-socket.io');
  const { MessageBody, SubscribeMessage, WebSocketGateway, WebSocketServer } = await import('@nestjs/websockets');
  const library = realtime ? await import('../dist/esm/index.js') : undefined;

  class Gateway {}
  for (const name of handlerNames) {
    Gateway.prototype[name] = function (data) {
      return data;
    };
    SubscribeMessage(name)(Gateway.prototype, name, Object.getOwnPropertyDescriptor(Gateway.prototype, name));
    MessageBody()(Gateway.prototype, name, 0);
  }
  WebSocketServer()(Gateway.prototype, 'server');
  WebSocketGateway(serverOptions)(Gateway);

  const options = {
    auth: AUTH === 'jwt' ? { secret: SECRET } : undefined,
    rateLimit: { points: 1e9, durationMs: 1000 },
    redis: REDIS_URL ? { url: REDIS_URL, keyPrefix: KEY_PREFIX } : undefined,
  };
  class AppModule {}
  Module({ imports: realtime ? [library.RealtimeModule.forRoot(options)] : [], providers: [Gateway] })(AppModule);
  const app = await NestFactory.create(AppModule, { logger: ['error'] });
  app.useWebSocketAdapter(realtime ? await app.get(library.RedisIoAdapterFactory).create(app) : new IoAdapter(app));
  await app.listen(0, '127.0.0.1');
  return { port: app.getHttpServer().address().port, io: app.get(Gateway).server };
}

const { port, io } = kind === 'raw' ? await rawServer() : await nestServer(kind === 'realtime');
let cpuAt = process.cpuUsage();
process.on('message', (message) => {
  if (message.type === 'measure') {
    global.gc();
    global.gc();
    const cpu = process.cpuUsage(cpuAt);
    cpuAt = process.cpuUsage();
    process.send({ type: 'measured', memory: process.memoryUsage(), cpuMs: (cpu.user + cpu.system) / 1000 });
  }
  if (message.type === 'fanout') io.emit('fanout', message.seq);
});
process.send({ type: 'ready', port });
