// What every scenario needs: servers pinned to core 0, a private Redis, many clients, statistics.
// This process is the load generator, pinned to core 1 by `npm run bench`.
import { execFile, fork, spawn } from 'node:child_process';
import { createSecretKey } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import jwt from 'jsonwebtoken';
import { WebSocket } from 'ws';

export const SECRET = 'bench-secret';
const run = promisify(execFile);
const serverScript = fileURLToPath(new URL('./server.mjs', import.meta.url));
const withoutOpenTelemetry = fileURLToPath(new URL('./without-opentelemetry.mjs', import.meta.url));

/** Starts a server variant (see server.mjs) on core 0; `request` sends an IPC message and resolves with its reply. */
export async function startServer(env) {
  const child = fork(serverScript, [], {
    // ws loads the optional native `bufferutil` when it is installed (a devDependency, for the `engine`
    // group): every server runs without it, as on a default install, unless BUFFERUTIL=1.
    env: { ...process.env, ...env, SECRET, WS_NO_BUFFER_UTIL: env.BUFFERUTIL === '1' ? '' : '1' },
    execPath: 'taskset',
    execArgv: ['-c', '0', process.execPath, '--expose-gc', ...(env.TELEMETRY === 'absent' ? ['--import', withoutOpenTelemetry] : [])],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const [ready] = await once(child, 'message');
  const request = async (message) => {
    const reply = new Promise((resolve) =>
      child.on('message', function answer(/** @type {any} */ received) {
        if (received.type !== message.type) return;
        child.off('message', answer);
        resolve(received);
      }),
    );
    child.send(message);
    return reply;
  };
  return {
    port: ready.port,
    measure: () => request({ type: 'measure' }),
    request,
    send: (message) => child.send(message),
    stop: () => (child.kill(), once(child, 'exit')),
  };
}

/** A private redis-server on core 0 with the servers, for the scenarios over Redis. */
export async function startRedis() {
  const port = await freePort();
  const child = spawn(
    'taskset',
    ['-c', '0', 'redis-server', '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await ready(child);
  return { url: `redis://127.0.0.1:${port}`, stop: () => (child.kill(), once(child, 'exit')) };
}

/**
 * A private Redis Cluster of three masters on core 0, for comparing `redis.mode`s: `commandStats()`
 * gives each master's PUBLISH and SPUBLISH calls and bytes sent since `resetStats()`.
 */
export async function startRedisCluster() {
  const dir = await mkdtemp(join(tmpdir(), 'bench-cluster-'));
  const nodes = [];
  for (let i = 0; i < 3; i++) {
    const port = await freePort();
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir];
    const cluster = ['--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`];
    const child = spawn('taskset', ['-c', '0', 'redis-server', ...args, ...cluster], { stdio: ['ignore', 'pipe', 'inherit'] });
    await ready(child);
    nodes.push({ port, child });
  }
  const cli = async (port, ...args) => (await run('redis-cli', ['-p', String(port), ...args])).stdout;
  await run('redis-cli', [
    '--cluster',
    'create',
    ...nodes.map(({ port }) => `127.0.0.1:${port}`),
    '--cluster-replicas',
    '0',
    '--cluster-yes',
  ]);
  for (const { port } of nodes) while (!(await cli(port, 'cluster', 'info')).includes('cluster_state:ok')) await setTimeout(50);
  return {
    nodes: nodes.map(({ port }) => ({ host: '127.0.0.1', port })),
    resetStats: () => Promise.all(nodes.map(({ port }) => cli(port, 'config', 'resetstat'))),
    async commandStats() {
      const stats = {};
      for (const { port } of nodes) {
        const info = await cli(port, 'info', 'all');
        const calls = (command) => Number(new RegExp(`cmdstat_${command}:calls=(\\d+)`).exec(info)?.[1] ?? 0);
        const sentBytes = Number(/total_net_output_bytes:(\d+)/.exec(info)?.[1] ?? 0);
        stats[port] = { publish: calls('publish'), spublish: calls('spublish'), sentBytes };
      }
      return stats;
    },
    async stop() {
      for (const { child } of nodes) child.kill();
      await Promise.all(nodes.map(({ child }) => once(child, 'exit')));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function freePort() {
  const probe = createServer().listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const { port } = /** @type {import('node:net').AddressInfo} */ (probe.address());
  probe.close();
  return port;
}

/** Resolves once the redis-server child accepts connections. */
async function ready(child) {
  let output = '';
  for await (const chunk of child.stdout) {
    output += chunk;
    if (output.includes('Ready to accept connections')) break;
  }
  child.stdout.resume();
}

// Made once: jsonwebtoken first tries a string secret as a private key, a slow failure on every sign.
const signingKey = createSecretKey(Buffer.from(SECRET));
const tokenFor = (user) => jwt.sign({ sub: user }, signingKey, { algorithm: 'HS256' });

/**
 * Opens `count` clients (`concurrency` handshakes at a time) as users `user<firstUser>` onwards, the
 * ws variant's own clients when `ws` is set and {@link connectSocketIo} ones otherwise; resolves with
 * them and the connect rate. Tokens are signed before the clock starts.
 */
export async function connectMany(port, count, { auth, ws = false, firstUser = 0, concurrency = 50 }) {
  const connect = ws ? connectWs : connectSocketIo;
  const tokens = Array.from({ length: count }, (_, i) => (auth ? tokenFor(`user${firstUser + i}`) : undefined));
  const sockets = [];
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < count) sockets.push(await connect(port, tokens[next++]));
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { sockets, perSecond: count / ((performance.now() - started) / 1000) };
}

/**
 * A bare socket.io client: Engine.IO v4 over a WebSocket, the namespace `/` joined with the token,
 * pings answered, events counted by name without decoding their data, acks matched by id. Thousands
 * of idle socket.io-client instances, or 50 busy ones, fill the generator's core before a server's.
 */
function connectSocketIo(port, token) {
  const socket = new WebSocket(`ws://127.0.0.1:${port}/socket.io/?EIO=4&transport=websocket`);
  const listeners = new Map();
  const acks = ackTracker((id, event, data) => socket.send(`42${id}${JSON.stringify([event, data])}`));
  const client = { on: (event, listener) => listeners.set(event, listener), emitWithAck: acks.request, close: () => socket.close() };
  const onAck = (text) => {
    const start = text.indexOf('[');
    acks.answer(Number(text.slice(2, start)), JSON.parse(text.slice(start))[0]);
  };
  return new Promise((resolve, reject) => {
    socket.on('message', (frame) => {
      const text = frame.toString();
      if (text.startsWith('42["')) return listeners.get(text.slice(4, text.indexOf('"', 4)))?.();
      if (text.startsWith('43')) return onAck(text);
      if (text === '2') return socket.send('3');
      if (text.startsWith('0{')) return socket.send(`40${JSON.stringify(token ? { token } : {})}`);
      if (text.startsWith('40')) return resolve(client);
      if (text.startsWith('44')) reject(new Error(`connect_error ${text.slice(2)}`));
    });
    socket.once('error', reject);
  });
}

/** A ws client shaped like the parts of a socket.io one the scenarios use: emitWithAck, on, close. */
function connectWs(port, token) {
  const socket = new WebSocket(`ws://127.0.0.1:${port}/${token ? `?token=${token}` : ''}`);
  const listeners = new Map();
  const acks = ackTracker((id, event, data) => socket.send(JSON.stringify({ id, event, data })));
  socket.on('message', (raw) => {
    const { id, event, data } = JSON.parse(raw.toString());
    if (event) return listeners.get(event)?.(data);
    acks.answer(id, data);
  });
  const client = { on: (event, listener) => listeners.set(event, listener), emitWithAck: acks.request, close: () => socket.close() };
  return new Promise((resolve, reject) => {
    socket.once('open', () => resolve(client));
    socket.once('error', reject);
    socket.once('close', (code) => reject(new Error(`ws closed with ${code} before it opened`)));
  });
}

/** Requests numbered for `send(id, event, data)`, each resolved by `answer(id, data)`. */
function ackTracker(send) {
  const pending = new Map();
  let nextId = 0;
  return {
    request: (event, data) =>
      new Promise((resolve) => {
        const id = nextId++;
        pending.set(id, resolve);
        send(id, event, data);
      }),
    answer: (id, data) => {
      pending.get(id)?.(data);
      pending.delete(id);
    },
  };
}

export const closeAll = (sockets) => sockets.forEach((socket) => socket.close());
/** Nearest rank: of 200 times the p99 is the second slowest, of 100 or fewer the slowest. */
export const percentile = (sorted, p) => sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)];
export const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
export const fmt = (value) => (Math.abs(value) >= 100 ? value.toFixed(0) : value.toFixed(2));
export const spread = (values) => `${fmt(Math.min(...values))}–${fmt(Math.max(...values))}`;

/** This process's CPU time since `since` (a `process.cpuUsage()`), as a share of `elapsedMs`. */
export const cpuShare = (since, elapsedMs) => {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1000 / elapsedMs;
};

/** p50 and p99 of a list of times. */
export const latencySummary = (times) => {
  const sorted = [...times].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99) };
};

/**
 * Runs each of `scenarios` (label => thunk) once per round, for `repeats` rounds, so that the
 * machine's drift falls on all of them alike; per label and measured value, the median and spread.
 */
export async function interleaved(repeats, scenarios) {
  const runs = new Map(Object.keys(scenarios).map((label) => [label, { list: [], seconds: 0 }]));
  for (let i = 0; i < repeats; i++) {
    for (const [label, scenario] of Object.entries(scenarios)) {
      const started = performance.now();
      runs.get(label).list.push(await scenario());
      runs.get(label).seconds += (performance.now() - started) / 1000;
    }
  }
  return Object.fromEntries([...runs].map(([label, { list, seconds }]) => [label, summarize(label, list, seconds)]));
}

function summarize(label, runs, seconds) {
  const summary = {};
  for (const key of Object.keys(runs[0]))
    summary[key] = { median: median(runs.map((run) => run[key])), spread: spread(runs.map((run) => run[key])) };
  process.stderr.write(
    `${label}: ${Object.entries(summary)
      .map(([k, v]) => `${k} ${fmt(v.median)}`)
      .join(', ')} (${fmt(seconds)} s)\n`,
  );
  return summary;
}
