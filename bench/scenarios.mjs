// One function per measured scenario; each boots its servers, measures once and stops them.
// `env` picks the server variant (see server.mjs), `settings` the sizes (see run.mjs).
import { Redis } from 'ioredis';
import { closeAll, connectMany, cpuShare, latencySummary, startServer } from './harness.mjs';

const isWs = (env) => env.BENCH_SERVER === 'ws';
const clientOptions = (env) => ({ auth: env.AUTH === 'jwt', ws: isWs(env) });
// Lets connect-time work (presence writes) finish, so that what follows measures the steady state.
const settle = ({ settleMs }) => new Promise((resolve) => setTimeout(resolve, settleMs));

/**
 * Scenario 1: each client keeps one `echo` with ack in flight for `ackSeconds`, after a warm-up of
 * `ackWarmUpSeconds` (not measured) that lets the server compile its message path.
 */
export async function ackRoundTrip(env, settings) {
  const server = await startServer({ ...env, HANDLERS: '1' });
  const { sockets } = await connectMany(server.port, settings.ackClients, clientOptions(env));
  await echoFor(sockets, settings.ackWarmUpSeconds);
  const cpuBefore = process.cpuUsage();
  await server.measure();
  const started = performance.now();
  const latencies = await echoFor(sockets, settings.ackSeconds);
  const elapsedMs = performance.now() - started;
  const { cpuMs: serverCpuMs } = await server.measure();
  const generatorCpu = cpuShare(cpuBefore, elapsedMs);
  closeAll(sockets);
  await server.stop();
  return {
    acksPerSecond: latencies.length / (elapsedMs / 1000),
    ...latencySummary(latencies),
    serverCpu: serverCpuMs / elapsedMs,
    generatorCpu,
  };
}

/** Each socket sends an `echo` with ack as soon as the last one was answered; the round-trip times. */
async function echoFor(sockets, seconds) {
  const latencies = [];
  const until = performance.now() + seconds * 1000;
  await Promise.all(
    sockets.map(async (socket) => {
      while (performance.now() < until) {
        const sent = performance.now();
        await socket.emitWithAck('echo', { n: 1, text: 'hello' });
        latencies.push(performance.now() - sent);
      }
    }),
  );
  return latencies;
}

/** Scenario 4: connections per second, with or without a handshake JWT. */
export async function connectRate(env, settings) {
  const server = await startServer({ ...env, HANDLERS: '1' });
  // A tenth as many first, left open, so that the measured ones find the server's code compiled.
  const warmUp = await connectMany(server.port, settings.connects / 10, clientOptions(env));
  await server.measure(); // opens the window a BENCH_CPU_PROF profile covers
  const { sockets, perSecond } = await connectMany(server.port, settings.connects, {
    ...clientOptions(env),
    firstUser: settings.connects / 10,
  });
  await server.measure();
  closeAll(warmUp.sockets);
  closeAll(sockets);
  await server.stop();
  return { connectsPerSecond: perSecond };
}

/** Scenario 5: heap and RSS per idle connection, after GC (`env` may scale out over Redis). */
export async function memoryPerConnection(env, settings) {
  const server = await startServer(env);
  const before = (await server.measure()).memory;
  const { sockets } = await connectMany(server.port, settings.idle, clientOptions(env));
  const after = (await server.measure()).memory;
  closeAll(sockets);
  await server.stop();
  return { heapKB: (after.heapUsed - before.heapUsed) / settings.idle / 1024, rssKB: (after.rss - before.rss) / settings.idle / 1024 };
}

/**
 * Scenario 2: the server emits to every client, one message at a time; with two instances the
 * clients are on one and the emit on the other, over Redis. Times until the last client got each.
 */
export async function fanOut(env, settings, { clients, messages, instances, redisUrl }) {
  const servers = await startInstances(env, instances, redisUrl);
  const [emitter, receiver] = [servers[0], servers[servers.length - 1]];
  const { sockets } = await connectMany(receiver.port, clients, clientOptions(env));
  await settle(settings);
  await receiver.measure();
  const result = await deliverRounds(sockets, 'fanout', messages, (seq) => emitter.send({ type: 'fanout', seq }));
  const { cpuMs } = await receiver.measure();
  closeAll(sockets);
  await Promise.all(servers.map((server) => server.stop()));
  // one warm-up round more than the measured ones
  return { ...result, receiverCpuMsPerMessage: cpuMs / (messages + 1) };
}

/**
 * Scenario 3: `sendToUser` to each of `users` users, one message each per round; with two instances,
 * half of the users are on the emitting instance, half on the other one over Redis.
 */
export async function sendToUsers(env, settings, { redisUrl, instances = 2 }) {
  const users = settings.users;
  const servers = await startInstances(env, instances, redisUrl);
  const sockets =
    instances === 2 ? await connectHalves(servers, users) : (await connectMany(servers[0].port, users, { auth: true })).sockets;
  await settle(settings);
  const result = await deliverRounds(sockets, 'dm', settings.userRounds, (seq) => servers[0].send({ type: 'sendToUsers', users, seq }));
  closeAll(sockets);
  await Promise.all(servers.map((server) => server.stop()));
  return result;
}

/**
 * Scenario 6: with `presenceConnections` users split over two instances and `roomSize` of them in
 * one room, the latency of an online check and of the room's cluster-wide member list.
 */
export async function presenceLookups(env, settings, { redisUrl }) {
  const connections = settings.presenceConnections;
  const servers = await startInstances({ ...env, AUTH: 'jwt', ROOM_SIZE: String(settings.roomSize) }, 2, redisUrl);
  const sockets = await connectHalves(servers, connections);
  await settle(settings);
  const reply = await servers[0].request({ type: 'presence', users: connections, count: settings.lookups });
  if (reply.found !== settings.roomSize) throw new Error(`members() found ${reply.found} of the room's ${settings.roomSize} sockets`);
  closeAll(sockets);
  await Promise.all(servers.map((server) => server.stop()));
  const isOnline = latencySummary(reply.isOnline);
  const members = latencySummary(reply.members);
  return { isOnlineP50: isOnline.p50, isOnlineP99: isOnline.p99, membersP50: members.p50, membersP99: members.p99 };
}

/**
 * Scenario 7: `clients` distinct users, each with its own JWT, connect and join one room in the
 * connection handler; then the first server emits to that room, one message at a time, at once: what
 * the joins left to do (presence events to the room's members) weighs on the fan-out, as in a live
 * event whose audience arrives in a rush.
 */
export async function bigRoom(env, settings, { clients, instances, redisUrl }) {
  const servers = await startInstances({ ...env, AUTH: 'jwt', ROOM_SIZE: String(clients) }, instances, redisUrl);
  const started = performance.now();
  const sockets =
    instances === 1 ? (await connectMany(servers[0].port, clients, { auth: true })).sockets : await connectHalves(servers, clients);
  const connectSeconds = (performance.now() - started) / 1000;
  const result = await deliverRounds(sockets, 'room', settings.roomMessages, (seq) => servers[0].send({ type: 'toRoom', seq }));
  closeAll(sockets);
  await Promise.all(servers.map((server) => server.stop()));
  return { connectsPerSecond: clients / connectSeconds, ...result };
}

/** `users` authenticated clients, user0.. on the first of two servers and the rest on the second. */
/** @param {Array<{ port: number }>} servers */
async function connectHalves([first, second], users) {
  const halves = await Promise.all(
    [first, second].map((server, i) => connectMany(server.port, users / 2, { auth: true, firstUser: (i * users) / 2 })),
  );
  return halves.flatMap(({ sockets }) => sockets);
}

/**
 * Scenario 8: the Redis memory the recovery stream holds per 10,000 messages kept: one instance with
 * `recovery` emits `messages` fan-out messages (the payload of scenario 2, a number) to no client.
 */
export async function streamMemory(env, _settings, { redisUrl, messages = 10_000 }) {
  const keyPrefix = `bench-${Math.random().toString(36).slice(2)}`;
  const server = await startServer({ ...env, REDIS_URL: redisUrl, KEY_PREFIX: keyPrefix });
  const redis = new Redis(redisUrl);
  const stream = `${keyPrefix}:stream`;
  for (let seq = 0; seq < messages; seq++) server.send({ type: 'fanout', seq });
  while ((await redis.xlen(stream)) < messages) await new Promise((resolve) => setTimeout(resolve, 50));
  const bytes = Number(await redis.memory('USAGE', stream, 'SAMPLES', 0));
  const entries = await redis.xlen(stream);
  await redis.del(stream, ...(await redis.keys(`${keyPrefix}:*`)));
  await redis.quit();
  await server.stop();
  return { streamKBPer10k: ((bytes / entries) * 10_000) / 1024 };
}

/** `instances` servers of the variant, sharing the Redis (and a fresh key prefix) when more than one. */
async function startInstances(env, instances, redisUrl) {
  // over the Redis at redisUrl, or the Cluster an env's REDIS_NODES names
  const redis = env.REDIS_NODES ? {} : { REDIS_URL: redisUrl };
  const scaleOut = instances > 1 ? { ...redis, KEY_PREFIX: `bench-${Math.random().toString(36).slice(2)}` } : {};
  const servers = [];
  for (let i = 0; i < instances; i++) servers.push(await startServer({ ...env, HANDLERS: '1', ...scaleOut }));
  return servers;
}

/**
 * Calls `send(seq)` for a warm-up round and `rounds` measured ones, each once every socket got one
 * `event` of the previous round; delivered messages per second and the time until the last arrival.
 */
async function deliverRounds(sockets, event, rounds, send) {
  let waiting = 0;
  /** @type {(value?: unknown) => void} */
  let arrived = () => undefined;
  for (const socket of sockets) socket.on(event, () => --waiting === 0 && arrived());
  const round = async (seq) => {
    waiting = sockets.length;
    const sentAt = performance.now();
    const all = new Promise((resolve) => (arrived = resolve));
    send(seq);
    const timeout = new Promise((_, reject) =>
      setTimeout(() => reject(new Error(`${event} round ${seq} incomplete: ${waiting} of ${sockets.length} missing`)), 10_000).unref(),
    );
    await Promise.race([all, timeout]);
    return performance.now() - sentAt;
  };
  await round(-1); // warm-up, and proof the subscriptions are live
  const cpuBefore = process.cpuUsage();
  const times = [];
  for (let seq = 0; seq < rounds; seq++) times.push(await round(seq));
  const total = times.reduce((sum, time) => sum + time, 0);
  return {
    deliveredPerSecond: (sockets.length * times.length) / (total / 1000),
    ...latencySummary(times),
    generatorCpu: cpuShare(cpuBefore, total),
  };
}
