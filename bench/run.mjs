// Benchmarks nestjs-realtime against raw ws, raw socket.io and a stock Nest gateway in one run, as
// ratios. `npm run bench` (full, writes RESULTS.md), `npm run bench -- --quick` (under 3 minutes,
// writes RESULTS.quick.md); `--only=ack,memory` runs some scenario groups and only prints them.
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { interleaved, startRedis, startRedisCluster } from './harness.mjs';
import { renderReport } from './report.mjs';
import {
  ackRoundTrip,
  bigRoom,
  connectRate,
  fanOut,
  memoryPerConnection,
  presenceLookups,
  sendToUsers,
  streamMemory,
} from './scenarios.mjs';

const quick = process.argv.includes('--quick');
const only = process.argv
  .find((arg) => arg.startsWith('--only='))
  ?.slice('--only='.length)
  .split(',');
const settings = quick
  ? {
      repeats: 3,
      settleMs: 200,
      ackSeconds: 1,
      ackWarmUpSeconds: 0.5,
      ackClients: 50,
      connects: 300,
      idle: 500,
      fanout: [{ clients: 1000, messages: 20 }],
      users: 300,
      userRounds: 10,
      presenceConnections: 500,
      roomSize: 100,
      lookups: 100,
      bigRooms: [1000],
      roomMessages: 10,
    }
  : {
      repeats: 5,
      settleMs: 1000,
      ackSeconds: 8,
      ackWarmUpSeconds: 2,
      ackClients: 50,
      connects: 3000,
      idle: 5000,
      fanout: [
        { clients: 1000, messages: 200 },
        { clients: 5000, messages: 120 },
      ],
      users: 2000,
      userRounds: 120,
      presenceConnections: 5000,
      roomSize: 100,
      lookups: 300,
      bigRooms: [1000, 5000],
      roomMessages: 50,
    };

const ws = { BENCH_SERVER: 'ws' };
const raw = { BENCH_SERVER: 'raw' };
const nest = { BENCH_SERVER: 'nest' };
const realtime = { BENCH_SERVER: 'realtime', AUTH: 'jwt' }; // as users run it: auth, rate limiting, presence
const recovering = { ...realtime, RECOVERY: '1' };
const onCws = { ...realtime, ENGINE: 'cws' }; // the opt-in engine, a contender in every delivery scenario

/** Each contender (label => server variant) measured with `scenario`, interleaved run by run. */
const compare = (scenario, contenders, extra, repeats = settings.repeats) =>
  interleaved(repeats, Object.fromEntries(Object.entries(contenders).map(([label, env]) => [label, () => scenario(env, settings, extra)])));
const where = (instances) => (instances === 1 ? 'one instance' : 'two instances over Redis');
/** The contenders, each label followed by what they are measured on. */
const labelled = (contenders, what) => Object.fromEntries(Object.entries(contenders).map(([name, env]) => [`${name}, ${what}`, env]));

/** Each group fills one section of the report, keyed by row label. */
const groups = {
  async fanout(redisUrl) {
    const rows = {};
    // raw verifies the same handshake JWT, so both have the same rooms per socket.
    const rawJwt = { ...raw, AUTH: 'jwt' };
    for (const { clients, messages } of settings.fanout) {
      for (const instances of [1, 2]) {
        const contenders =
          instances === 1
            ? { ws, raw: rawJwt, 'stock Nest': nest, realtime, 'realtime + cws': onCws }
            : { raw: rawJwt, realtime, 'realtime + cws': onCws };
        Object.assign(
          rows,
          await compare(fanOut, labelled(contenders, `${clients} clients, ${where(instances)}`), {
            clients,
            messages,
            instances,
            redisUrl,
          }),
        );
      }
    }
    return rows;
  },
  async bigRoom(redisUrl) {
    const rows = {};
    for (const clients of settings.bigRooms) {
      for (const instances of [1, 2]) {
        const contenders =
          instances === 1
            ? { raw: { ...raw, AUTH: 'jwt' }, 'stock Nest': { ...nest, AUTH: 'jwt' }, realtime, 'realtime + cws': onCws }
            : {
                raw: { ...raw, AUTH: 'jwt' },
                realtime,
                'realtime without room events': { ...realtime, ROOM_EVENTS: 'off' },
                'realtime + cws': onCws,
              };
        const rooms = labelled(contenders, `${clients} users, ${where(instances)}`);
        // 3 runs, not 5: a run at 5,000 users takes most of a minute
        Object.assign(rows, await compare(bigRoom, rooms, { clients, instances, redisUrl }, Math.min(settings.repeats, 3)));
      }
    }
    return rows;
  },
  sendToUser: (redisUrl) => compare(sendToUsers, { raw: { ...raw, AUTH: 'jwt' }, realtime, 'realtime + cws': onCws }, { redisUrl }),
  presence: (redisUrl) => compare(presenceLookups, { raw, realtime }, { redisUrl }),
  ack: () => compare(ackRoundTrip, { ws, raw, nest, realtime }),
  connect: () =>
    compare(connectRate, {
      'ws, no auth': ws,
      'ws + JWT': { ...ws, AUTH: 'jwt' },
      'raw, no auth': raw,
      'raw + JWT': { ...raw, AUTH: 'jwt' },
      'realtime + JWT': realtime,
    }),
  async recovery(redisUrl) {
    const contenders = { realtime, 'realtime + recovery': recovering };
    const { clients, messages } = settings.fanout[0];
    const rows = {};
    for (const instances of [1, 2]) {
      Object.assign(
        rows,
        await compare(fanOut, labelled(contenders, `fan-out to ${clients}, ${where(instances)}`), {
          clients,
          messages,
          instances,
          redisUrl,
        }),
      );
    }
    for (const instances of [1, 2]) {
      Object.assign(rows, await compare(sendToUsers, labelled(contenders, `sendToUser, ${where(instances)}`), { redisUrl, instances }));
    }
    const overRedis = { REDIS_URL: redisUrl, KEY_PREFIX: 'bench-memory' };
    const idle = { realtime: { ...realtime, ...overRedis }, 'realtime + recovery': { ...recovering, ...overRedis } };
    Object.assign(rows, await compare(memoryPerConnection, labelled(idle, 'idle connection over Redis')));
    Object.assign(rows, await compare(streamMemory, { 'realtime + recovery, stream': recovering }, { redisUrl }, 1));
    return rows;
  },
  async sharded() {
    const cluster = await startRedisCluster();
    try {
      const on = (mode) => ({ ...realtime, REDIS_NODES: JSON.stringify(cluster.nodes), REDIS_MODE: mode });
      const contenders = { "realtime, redis.mode 'pubsub'": on('pubsub'), "realtime, redis.mode 'sharded'": on('sharded') };
      const { clients, messages } = settings.fanout[0];
      /** @type {[string, (env: object, settings: object, extra: any) => Promise<object>, object][]} */
      const scenarios = [
        [`fan-out to ${clients}`, fanOut, { clients, messages, instances: 2 }],
        ['sendToUser', sendToUsers, { instances: 2 }],
      ];
      const rows = {};
      for (const [what, scenario, extra] of scenarios) Object.assign(rows, await compare(scenario, labelled(contenders, what), extra));
      // Then one more run of each, alone, for the commands and bytes each master served for it.
      for (const [what, scenario, extra] of scenarios) {
        for (const [name, env] of Object.entries(contenders)) {
          await cluster.resetStats();
          await scenario(env, settings, extra);
          rows[`${name}, ${what}, per master`] = { masters: await cluster.commandStats() };
        }
      }
      return rows;
    } finally {
      await cluster.stop();
    }
  },
  // The faster engines that install from the registry here, under the full stack: ws's native
  // `bufferutil`, and cWS (`engine: 'cws'`).
  async engine() {
    const engines = {
      realtime,
      'realtime + bufferutil': { ...realtime, BUFFERUTIL: '1' },
      'realtime + cws': onCws,
    };
    const { clients, messages } = settings.fanout[0];
    const withJwt = { raw: { ...raw, AUTH: 'jwt' }, ...engines };
    return {
      ...(await compare(ackRoundTrip, labelled({ raw, ...engines }, 'acks'))),
      ...(await compare(fanOut, labelled(withJwt, `fan-out to ${clients}`), { clients, messages, instances: 1 })),
      ...(await compare(connectRate, labelled(withJwt, 'JWT connects'))),
      ...(await compare(memoryPerConnection, labelled(withJwt, 'heap'))),
    };
  },
  telemetry: () =>
    compare(ackRoundTrip, {
      'realtime, @opentelemetry/api absent': { ...realtime, TELEMETRY: 'absent' },
      'realtime, the API without an SDK': realtime,
      'realtime, an SDK recording metrics and spans': { ...realtime, TELEMETRY: 'sdk' },
      'realtime, an SDK recording metrics only': { ...realtime, TELEMETRY: 'sdk-metrics' },
      'realtime, an SDK recording spans only': { ...realtime, TELEMETRY: 'sdk-traces' },
      'realtime, an SDK recording metrics and 1 trace in 10': { ...realtime, TELEMETRY: 'sdk-sampled' },
    }),
  async memory() {
    const rows = {};
    for (const HANDLERS of ['1', '10']) {
      const contenders = { ws, raw, 'raw + JWT': { ...raw, AUTH: 'jwt' }, 'stock Nest': nest, 'realtime + JWT': realtime };
      const withHandlers = Object.fromEntries(Object.entries(contenders).map(([name, env]) => [name, { ...env, HANDLERS }]));
      Object.assign(rows, await compare(memoryPerConnection, labelled(withHandlers, `${HANDLERS} handler(s)`)));
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
