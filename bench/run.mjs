// Benchmarks nestjs-realtime against raw ws, raw socket.io and a stock Nest gateway in one run, as
// ratios. `npm run bench` (full, writes RESULTS.md), `npm run bench -- --quick` (under 3 minutes,
// writes RESULTS.quick.md); `--only=ack,memory` runs some scenario groups and only prints them.
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { repeat, startRedis } from './harness.mjs';
import { renderReport } from './report.mjs';
import { ackRoundTrip, connectRate, fanOut, memoryPerConnection, presenceLookups, sendToUsers } from './scenarios.mjs';

const quick = process.argv.includes('--quick');
const only = process.argv.find((arg) => arg.startsWith('--only='))?.slice('--only='.length).split(',');
const settings = quick
  ? { repeats: 3, settleMs: 300, ackSeconds: 1.5, ackClients: 50, connects: 300, idle: 1000, fanoutClients: [1000], fanoutMessages: 20, users: 500, userRounds: 10, presenceConnections: 1000, roomSize: 100, lookups: 100 }
  : { repeats: 5, settleMs: 1000, ackSeconds: 8, ackClients: 50, connects: 3000, idle: 5000, fanoutClients: [1000, 5000], fanoutMessages: 50, users: 2000, userRounds: 30, presenceConnections: 5000, roomSize: 100, lookups: 300 };

const ws = { BENCH_SERVER: 'ws' };
const raw = { BENCH_SERVER: 'raw' };
const nest = { BENCH_SERVER: 'nest' };
const realtime = { BENCH_SERVER: 'realtime', AUTH: 'jwt' }; // as users run it: auth, rate limiting, presence
const measure = (label, scenario, env, extra) => repeat(label, settings.repeats, () => scenario(env, settings, extra));
const where = (instances) => (instances === 1 ? 'one instance' : 'two instances over Redis');

/** Each group fills one section of the report, keyed by row label. */
const groups = {
  async fanout(redisUrl) {
    const rows = {};
    for (const clients of settings.fanoutClients) {
      for (const instances of [1, 2]) {
        // raw verifies the same handshake JWT, so both have the same rooms per socket.
        const rawJwt = { ...raw, AUTH: 'jwt' };
        const contenders = instances === 1 ? { ws, raw: rawJwt, realtime } : { raw: rawJwt, realtime };
        for (const [name, env] of Object.entries(contenders)) {
          const label = `${name}, ${clients} clients, ${where(instances)}`;
          rows[label] = await measure(`fanout ${label}`, fanOut, env, { clients, instances, redisUrl });
        }
      }
    }
    return rows;
  },
  async sendToUser(redisUrl) {
    return {
      raw: await measure('sendToUser raw', sendToUsers, { ...raw, AUTH: 'jwt' }, { redisUrl }),
      realtime: await measure('sendToUser realtime', sendToUsers, realtime, { redisUrl }),
    };
  },
  async presence(redisUrl) {
    return {
      raw: await measure('presence raw (fetchSockets)', presenceLookups, raw, { redisUrl }),
      realtime: await measure('presence realtime', presenceLookups, realtime, { redisUrl }),
    };
  },
  async ack() {
    const rows = {};
    for (const [name, env] of Object.entries({ ws, raw, nest, realtime })) rows[name] = await measure(`ack ${name}`, ackRoundTrip, env);
    return rows;
  },
  async connect() {
    const rows = {};
    const contenders = { 'ws, no auth': ws, 'ws + JWT': { ...ws, AUTH: 'jwt' }, 'raw, no auth': raw, 'raw + JWT': { ...raw, AUTH: 'jwt' }, 'realtime + JWT': realtime };
    for (const [name, env] of Object.entries(contenders)) rows[name] = await measure(`connect ${name}`, connectRate, env);
    return rows;
  },
  async memory() {
    const rows = {};
    for (const handlers of ['1', '10']) {
      const contenders = { ws, raw, 'stock Nest': nest, 'realtime + JWT': realtime };
      for (const [name, env] of Object.entries(contenders)) {
        rows[`${name}, ${handlers} handler(s)`] = await measure(`memory ${name} ${handlers}`, memoryPerConnection, { ...env, HANDLERS: handlers });
      }
    }
    return rows;
  },
};

const results = {};
const redis = await startRedis();
try {
  for (const [name, run] of Object.entries(groups)) if (!only || only.includes(name)) results[name] = await run(redis.url);
} finally {
  await redis.stop();
}
const command = `npm run bench${process.argv.slice(2).length ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;
const report = renderReport(results, { command, settings });
process.stdout.write(`${report}\n`);
if (!only) await writeFile(fileURLToPath(new URL(quick ? './RESULTS.quick.md' : './RESULTS.md', import.meta.url)), report);
