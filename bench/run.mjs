// Benchmarks nestjs-realtime against raw socket.io and a stock Nest gateway in one run, as ratios.
// `npm run bench` (full) or `npm run bench -- --quick` (under 3 minutes). Each server runs in its own
// process pinned to core 0; this process is the load generator, pinned to core 1 by the npm script.
import { fork, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import jwt from 'jsonwebtoken';
import { io } from 'socket.io-client';

const quick = process.argv.includes('--quick');
const settings = quick
  ? { repeats: 3, ackSeconds: 3, ackClients: 50, connects: 500, idle: 1000, fanoutClients: [1000], fanoutMessages: 20 }
  : { repeats: 5, ackSeconds: 8, ackClients: 50, connects: 2000, idle: 5000, fanoutClients: [1000, 5000], fanoutMessages: 50 };
const SECRET = 'bench-secret';
const serverScript = fileURLToPath(new URL('./server.mjs', import.meta.url));

/** Starts a server variant on core 0 and resolves with its port and an IPC handle. */
async function startServer(env) {
  const child = fork(serverScript, [], {
    env: { ...process.env, ...env, SECRET },
    execPath: 'taskset',
    execArgv: ['-c', '0', process.execPath, '--expose-gc'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const [ready] = await once(child, 'message');
  const request = async (type) => {
    child.send({ type });
    const [reply] = await once(child, 'message');
    return reply;
  };
  return { port: ready.port, measure: () => request('measure'), send: (message) => child.send(message), stop: () => (child.kill(), once(child, 'exit')) };
}

/** A private redis-server on core 0 with the servers, for the two-instance scenarios. */
async function startRedis() {
  const probe = createServer().listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const { port } = probe.address();
  probe.close();
  const child = spawn('taskset', ['-c', '0', 'redis-server', '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  for await (const chunk of child.stdout) {
    output += chunk;
    if (output.includes('Ready to accept connections')) break;
  }
  child.stdout.resume();
  return { url: `redis://127.0.0.1:${port}`, stop: () => (child.kill(), once(child, 'exit')) };
}

async function connectMany(port, count, { auth, concurrency = 50 }) {
  const sockets = [];
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < count) {
      const i = next++;
      const token = auth ? jwt.sign({ sub: `user${i}` }, SECRET, { algorithm: 'HS256' }) : undefined;
      const socket = io(`http://127.0.0.1:${port}`, { transports: ['websocket'], reconnection: false, forceNew: true, auth: token ? { token } : {} });
      await new Promise((resolve, reject) => {
        socket.once('connect', resolve);
        socket.once('connect_error', reject);
      });
      sockets.push(socket);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { sockets, perSecond: count / ((performance.now() - started) / 1000) };
}

const closeAll = (sockets) => sockets.forEach((socket) => socket.close());
const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const spread = (values) => `${fmt(Math.min(...values))}–${fmt(Math.max(...values))}`;
const fmt = (value) => (Math.abs(value) >= 100 ? value.toFixed(0) : value.toFixed(2));

/** Scenario 1: each client keeps one `echo` with ack in flight for the duration. */
async function ackRoundTrip(env) {
  const server = await startServer({ ...env, HANDLERS: '1' });
  const { sockets } = await connectMany(server.port, settings.ackClients, { auth: env.AUTH === 'jwt' });
  const latencies = [];
  const until = performance.now() + settings.ackSeconds * 1000;
  const cpuBefore = process.cpuUsage();
  await server.measure();
  const started = performance.now();
  await Promise.all(
    sockets.map(async (socket) => {
      while (performance.now() < until) {
        const sent = performance.now();
        await socket.emitWithAck('echo', { n: 1, text: 'hello' });
        latencies.push(performance.now() - sent);
      }
    }),
  );
  const elapsedMs = performance.now() - started;
  const { cpuMs: serverCpuMs } = await server.measure();
  const generatorCpu = process.cpuUsage(cpuBefore);
  closeAll(sockets);
  await server.stop();
  latencies.sort((a, b) => a - b);
  return {
    acksPerSecond: latencies.length / (elapsedMs / 1000),
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    serverCpu: serverCpuMs / elapsedMs,
    generatorCpu: (generatorCpu.user + generatorCpu.system) / 1000 / elapsedMs,
  };
}

/** Scenario 4: connections per second, with or without a handshake JWT. */
async function connectRate(env) {
  const server = await startServer({ ...env, HANDLERS: '1' });
  const { sockets, perSecond } = await connectMany(server.port, settings.connects, { auth: env.AUTH === 'jwt' });
  closeAll(sockets);
  await server.stop();
  return { connectsPerSecond: perSecond };
}

/** Scenario 5: heap and RSS per idle connection, after GC. */
async function memoryPerConnection(env) {
  const server = await startServer(env);
  const before = (await server.measure()).memory;
  const { sockets } = await connectMany(server.port, settings.idle, { auth: env.AUTH === 'jwt' });
  const after = (await server.measure()).memory;
  closeAll(sockets);
  await server.stop();
  return { heapKB: (after.heapUsed - before.heapUsed) / settings.idle / 1024, rssKB: (after.rss - before.rss) / settings.idle / 1024 };
}

/**
 * Scenario 2: the server emits to every client, one message at a time; with two instances the
 * clients are on one and the emit on the other, over Redis. Times until the last client got it.
 */
async function fanOut(env, { clients, instances }) {
  const scaleOut = instances > 1 ? { REDIS_URL: redis.url, KEY_PREFIX: `bench-${Math.random().toString(36).slice(2)}` } : {};
  const servers = [];
  for (let i = 0; i < instances; i++) servers.push(await startServer({ ...env, HANDLERS: '1', ...scaleOut }));
  const [emitter, receiver] = [servers[0], servers[servers.length - 1]];
  const { sockets } = await connectMany(receiver.port, clients, { auth: env.AUTH === 'jwt' });
  // Let connect-time work (presence writes) finish, so this measures steady-state fan-out.
  await new Promise((resolve) => setTimeout(resolve, 1000));
  let waiting = 0;
  let arrived = () => undefined;
  for (const socket of sockets) socket.on('fanout', () => --waiting === 0 && arrived());
  const deliver = async (seq) => {
    waiting = clients;
    const sentAt = performance.now();
    const all = new Promise((resolve) => (arrived = resolve));
    emitter.send({ type: 'fanout', seq });
    const timeout = new Promise((_, reject) => setTimeout(() => reject(new Error(`fan-out message ${seq} incomplete: ${waiting} of ${clients} missing`)), 10_000).unref());
    await Promise.race([all, timeout]);
    return performance.now() - sentAt;
  };
  await deliver(-1); // warm-up, and proof the subscription is live
  const times = [];
  for (let seq = 0; seq < settings.fanoutMessages; seq++) times.push(await deliver(seq));
  closeAll(sockets);
  await Promise.all(servers.map((server) => server.stop()));
  const total = times.reduce((sum, time) => sum + time, 0);
  times.sort((a, b) => a - b);
  return { deliveredPerSecond: (clients * times.length) / (total / 1000), p50: percentile(times, 50), p99: percentile(times, 99) };
}

async function repeat(label, scenario, env) {
  const runs = [];
  for (let i = 0; i < settings.repeats; i++) runs.push(await scenario(env));
  const summary = {};
  for (const key of Object.keys(runs[0])) summary[key] = { median: median(runs.map((run) => run[key])), spread: spread(runs.map((run) => run[key])) };
  process.stderr.write(`${label}: ${Object.entries(summary).map(([k, v]) => `${k} ${fmt(v.median)}`).join(', ')}\n`);
  return summary;
}

const variants = {
  raw: { BENCH_SERVER: 'raw' },
  nest: { BENCH_SERVER: 'nest' },
  realtime: { BENCH_SERVER: 'realtime' },
};

const results = { ack: {}, connect: {}, memory: {}, fanout: {} };
const redis = await startRedis();
for (const clients of settings.fanoutClients) {
  for (const instances of [1, 2]) {
    for (const name of ['raw', 'realtime']) {
      const label = `${name}, ${clients} clients, ${instances === 1 ? 'one instance' : 'two instances over Redis'}`;
      results.fanout[label] = await repeat(`fanout ${label}`, (env) => fanOut(env, { clients, instances }), { ...variants[name], AUTH: name === 'realtime' ? 'jwt' : 'none' });
    }
  }
}
await redis.stop();
for (const [name, env] of Object.entries(variants)) results.ack[name] = await repeat(`ack ${name}`, ackRoundTrip, { ...env, AUTH: name === 'realtime' ? 'jwt' : 'none' });
for (const [name, env] of [['raw, no auth', { ...variants.raw, AUTH: 'none' }], ['raw + JWT', { ...variants.raw, AUTH: 'jwt' }], ['realtime + JWT', { ...variants.realtime, AUTH: 'jwt' }]]) {
  results.connect[name] = await repeat(`connect ${name}`, connectRate, env);
}
for (const handlers of ['1', '10']) {
  results.memory[`raw, ${handlers} handler(s)`] = await repeat(`memory raw ${handlers}`, memoryPerConnection, { ...variants.raw, AUTH: 'none', HANDLERS: handlers });
  results.memory[`stock Nest, ${handlers} handler(s)`] = await repeat(`memory nest ${handlers}`, memoryPerConnection, { ...variants.nest, AUTH: 'none', HANDLERS: handlers });
  results.memory[`realtime + JWT, ${handlers} handler(s)`] = await repeat(`memory realtime ${handlers}`, memoryPerConnection, { ...variants.realtime, AUTH: 'jwt', HANDLERS: handlers });
}

const ratio = (a, b) => (a / b).toFixed(2);
const m = (entry, key) => entry[key].median;
const cell = (entry, key) => `${fmt(m(entry, key))} (${entry[key].spread})`;
const ack = results.ack;
const lines = [
  '# Benchmark results',
  '',
  `Command: \`npm run bench${quick ? ' -- --quick' : ''}\` on ${new Date().toISOString().slice(0, 10)}, Node ${process.version}, 2 cores: each server process pinned to core 0, the load generator to core 1. Medians of ${settings.repeats} runs, with the spread (min–max) in parentheses.`,
  '',
  `## Ack round trip (${settings.ackClients} clients, one request in flight each, ${settings.ackSeconds} s)`,
  '',
  '| server | acks/s | p50 ms | p99 ms | server CPU | generator CPU |',
  '| --- | --- | --- | --- | --- | --- |',
  ...Object.entries(ack).map(([name, r]) => `| ${name} | ${cell(r, 'acksPerSecond')} | ${cell(r, 'p50')} | ${cell(r, 'p99')} | ${fmt(m(r, 'serverCpu') * 100)}% | ${fmt(m(r, 'generatorCpu') * 100)}% |`),
  '',
  ...Object.entries(ack)
    .filter(([, r]) => m(r, 'generatorCpu') >= 0.9)
    .map(([name]) => `The load generator, not the server, is the bottleneck for **${name}** (generator CPU ≥ 90%): its real ceiling is higher, so ratios against it are conservative.`),
  '',
  `Ratios: realtime (with handshake JWT, rate limiting, presence) / stock Nest = **${ratio(m(ack.realtime, 'acksPerSecond'), m(ack.nest, 'acksPerSecond'))}×** acks/s; realtime / raw socket.io = **${ratio(m(ack.realtime, 'acksPerSecond'), m(ack.raw, 'acksPerSecond'))}×**; stock Nest / raw = ${ratio(m(ack.nest, 'acksPerSecond'), m(ack.raw, 'acksPerSecond'))}×.`,
  '',
  `## Connect rate (${settings.connects} connections, 50 at a time)`,
  '',
  '| server | connects/s |',
  '| --- | --- |',
  ...Object.entries(results.connect).map(([name, r]) => `| ${name} | ${cell(r, 'connectsPerSecond')} |`),
  '',
  `Ratio: realtime + JWT / raw socket.io doing the same verification = **${ratio(m(results.connect['realtime + JWT'], 'connectsPerSecond'), m(results.connect['raw + JWT'], 'connectsPerSecond'))}×**.`,
  '',
  `## Memory per idle connection (${settings.idle} connections, after GC)`,
  '',
  '| server | heap KB | RSS KB |',
  '| --- | --- | --- |',
  ...Object.entries(results.memory).map(([name, r]) => `| ${name} | ${cell(r, 'heapKB')} | ${cell(r, 'rssKB')} |`),
  '',
  ...['1', '10'].map(
    (h) =>
      `Ratio with ${h} handler(s): realtime / stock Nest = **${ratio(m(results.memory[`realtime + JWT, ${h} handler(s)`], 'heapKB'), m(results.memory[`stock Nest, ${h} handler(s)`], 'heapKB'))}×** heap.`,
  ),
  '',
  `## Broadcast fan-out (one message at a time, ${settings.fanoutMessages} messages; time until the last client got each)`,
  '',
  '| server | delivered msgs/s | p50 ms | p99 ms |',
  '| --- | --- | --- | --- |',
  ...Object.entries(results.fanout).map(([name, r]) => `| ${name} | ${cell(r, 'deliveredPerSecond')} | ${cell(r, 'p50')} | ${cell(r, 'p99')} |`),
  '',
  ...settings.fanoutClients.flatMap((clients) =>
    ['one instance', 'two instances over Redis'].map((where) => {
      const ours = results.fanout[`realtime, ${clients} clients, ${where}`];
      const raw = results.fanout[`raw, ${clients} clients, ${where}`];
      return `Ratio, ${clients} clients, ${where}: realtime / raw socket.io = **${ratio(m(ours, 'deliveredPerSecond'), m(raw, 'deliveredPerSecond'))}×** delivered/s, **${ratio(m(ours, 'p99'), m(raw, 'p99'))}×** p99.`;
    }),
  ),
  '',
  '## Not measured yet',
  '',
  '`sendToUser` throughput across two instances, and presence `isOnline` / room `members` latency at 5,000 connections.',
  '',
];
const report = lines.join('\n');
process.stdout.write(`${report}\n`);
await writeFile(fileURLToPath(new URL(quick ? './RESULTS.quick.md' : './RESULTS.md', import.meta.url)), report);
