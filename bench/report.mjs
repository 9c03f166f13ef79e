// Renders RESULTS.md from the medians and spreads of run.mjs: one section per scenario group that
// ran, then the targets, each with its measured ratio.
import { fmt } from './harness.mjs';

const m = (entry, key) => entry[key].median;
const cell = (entry, key) => `${fmt(m(entry, key))} (${entry[key].spread})`;
const ratio = (a, b) => a / b;
const x = (value) => `${value.toFixed(2)}×`;
const table = (header, rows) => [
  `| ${header.join(' | ')} |`,
  `| ${header.map(() => '---').join(' | ')} |`,
  ...rows.map((row) => `| ${row.join(' | ')} |`),
  '',
];
const GENERATOR_BOUND = 0.9;

/** Lines naming the rows whose load generator, not the server, was the bottleneck. */
function generatorBound(rows) {
  const bound = Object.entries(rows).filter(([, row]) => row.generatorCpu && m(row, 'generatorCpu') >= GENERATOR_BOUND);
  if (!bound.length) return [];
  const names = bound.map(([name]) => `**${name}**`).join(', ');
  return [
    `The load generator, not the server, is the bottleneck for ${names} (generator CPU ≥ ${GENERATOR_BOUND * 100}% of its core): their measured rate is a floor of what the server can do, so a ratio of another server to one of them is an upper bound.`,
    '',
  ];
}

/** A column of a server table: the median (spread) of a measurement, or a median share of a core. */
const median = (key) => (row) => cell(row, key);
const share = (key) => (row) => `${fmt(m(row, key) * 100)}%`;
/** One row per server, one column per entry of `columns` (header => how the row shows it). */
const serverTable = (rows, columns) =>
  table(
    ['server', ...Object.keys(columns)],
    Object.entries(rows).map(([name, row]) => [name, ...Object.values(columns).map((show) => show(row))]),
  );
const latency = { 'p50 ms': median('p50'), 'p99 ms': median('p99') };
/** Delivery rows: rate, latency until the last client, and the load generator's share of its core. */
const deliveryTable = (rows) =>
  serverTable(rows, { 'delivered msgs/s': median('deliveredPerSecond'), ...latency, 'generator CPU': share('generatorCpu') });
/** How a delivery row compares with another: rate and p99 as ratios. */
const versus = (row, other) => ({
  throughput: ratio(m(row, 'deliveredPerSecond'), m(other, 'deliveredPerSecond')),
  p99: ratio(m(row, 'p99'), m(other, 'p99')),
});
const CWS = "realtime + cws (`engine: 'cws'`)";

const sections = {
  ack: (rows, { settings }, targets) => {
    const [ours, nest, raw, ws] = [rows.realtime, rows.nest, rows.raw, rows.ws].map((row) => m(row, 'acksPerSecond'));
    targets.push(['ack throughput, realtime / stock Nest', ratio(ours, nest), 1.0]);
    targets.push(['ack throughput, realtime / raw socket.io', ratio(ours, raw), 1.0]);
    return [
      `## Ack round trip (${settings.ackClients} clients, one request in flight each, ${settings.ackSeconds} s after ${settings.ackWarmUpSeconds} s of warm-up)`,
      '',
      ...serverTable(rows, {
        'acks/s': median('acksPerSecond'),
        ...latency,
        'server CPU': share('serverCpu'),
        'generator CPU': share('generatorCpu'),
      }),
      ...generatorBound(rows),
      `Ratios: realtime (handshake JWT, rate limiting, presence) / stock Nest = **${x(ratio(ours, nest))}**; realtime / raw socket.io = **${x(ratio(ours, raw))}**; stock Nest / raw socket.io = ${x(ratio(nest, raw))}; raw socket.io / raw ws = ${x(ratio(raw, ws))}.`,
      '',
    ];
  },
  connect: (rows, { settings }, targets) => {
    const value = ratio(m(rows['realtime + JWT'], 'connectsPerSecond'), m(rows['raw + JWT'], 'connectsPerSecond'));
    targets.push(['JWT connect rate, realtime / raw socket.io verifying the same token', value, 1.0]);
    return [
      `## Connect rate (${settings.connects} connections, 50 handshakes at a time)`,
      '',
      ...serverTable(rows, { 'connects/s': median('connectsPerSecond') }),
      `Ratio: realtime + JWT / raw socket.io doing the same verification = **${x(value)}**.`,
      '',
    ];
  },
  memory: (rows, { settings }, targets) => {
    const heap = (name, handlers) => m(rows[`${name}, ${handlers} handler(s)`], 'heapKB');
    const lines = ['1', '10'].map((h) => {
      const value = ratio(heap('realtime + JWT', h), heap('stock Nest', h));
      const overRaw = ratio(heap('realtime + JWT', h), heap('raw', h));
      targets.push([`heap per connection with ${h} handler(s), realtime / stock Nest`, value, 1.0, 'at most']);
      if (h === '1') targets.push(['heap per idle authenticated connection, realtime / raw socket.io', overRaw, 1.1, 'at most']);
      return `With ${h} handler(s): realtime / stock Nest = **${x(value)}** heap; realtime / raw socket.io = ${x(overRaw)} (raw socket.io verifying the JWT too: ${x(ratio(heap('realtime + JWT', h), heap('raw + JWT', h)))}).`;
    });
    return [
      `## Memory per idle connection (${settings.idle} connections, after GC)`,
      '',
      ...serverTable(rows, { 'heap KB': median('heapKB'), 'RSS KB': median('rssKB') }),
      ...lines,
      `From 1 to 10 handlers: realtime grows by ${fmt(heap('realtime + JWT', '10') - heap('realtime + JWT', '1'))} KB a connection, stock Nest by ${fmt(heap('stock Nest', '10') - heap('stock Nest', '1'))} KB.`,
      '',
    ];
  },
  fanout: (rows, { settings }, targets) => {
    const ratios = settings.fanout.flatMap(({ clients }) =>
      ['one instance', 'two instances over Redis'].map((where) => {
        const raw = rows[`raw, ${clients} clients, ${where}`];
        const { throughput, p99 } = versus(rows[`realtime, ${clients} clients, ${where}`], raw);
        const cws = versus(rows[`realtime + cws, ${clients} clients, ${where}`], raw);
        targets.push([`fan-out to ${clients}, ${where}: delivered/s, realtime / raw socket.io`, throughput, 0.95]);
        targets.push([`fan-out to ${clients}, ${where}: p99, realtime / raw socket.io`, p99, 1.1, 'at most']);
        targets.push([`fan-out to ${clients}, ${where}: delivered/s, realtime + cws / raw socket.io`, cws.throughput, 1.3]);
        return `${clients} clients, ${where}: realtime / raw socket.io = **${x(throughput)}** delivered/s, **${x(p99)}** p99; ${CWS} / raw socket.io = **${x(cws.throughput)}** delivered/s, **${x(cws.p99)}** p99.`;
      }),
    );
    return [
      `## Broadcast fan-out (one message at a time, ${settings.fanout.map(({ clients, messages }) => `${messages} messages to ${clients}`).join(', ')}; time until the last client got each)`,
      '',
      ...serverTable(rows, {
        'delivered msgs/s': median('deliveredPerSecond'),
        ...latency,
        'receiving server CPU ms per message': median('receiverCpuMsPerMessage'),
        'generator CPU': share('generatorCpu'),
      }),
      ...generatorBound(rows),
      ...ratios.map((line) => `- ${line}`),
      '',
    ];
  },
  bigRoom: (rows, { settings }, targets) => {
    const ratios = settings.bigRooms.flatMap((clients) =>
      ['one instance', 'two instances over Redis'].map((where) => {
        const [ours, raw] = [rows[`realtime, ${clients} users, ${where}`], rows[`raw, ${clients} users, ${where}`]];
        const connectTime = ratio(m(raw, 'connectsPerSecond'), m(ours, 'connectsPerSecond'));
        const { throughput, p99 } = versus(ours, raw);
        targets.push([`${clients} users joining one room, ${where}: connect time, realtime / raw socket.io`, connectTime, 1.2, 'at most']);
        targets.push([`fan-out to that room of ${clients}, ${where}: delivered/s, realtime / raw socket.io`, throughput, 0.95]);
        targets.push([`fan-out to that room of ${clients}, ${where}: p99, realtime / raw socket.io`, p99, 1.1, 'at most']);
        const quiet = rows[`realtime without room events, ${clients} users, ${where}`];
        const quietLine = quiet
          ? ` Without room events (\`presence.roomEvents: false\`): connect time **${x(ratio(m(raw, 'connectsPerSecond'), m(quiet, 'connectsPerSecond')))}**.`
          : '';
        const cws = rows[`realtime + cws, ${clients} users, ${where}`];
        const onCws = versus(cws, raw);
        const cwsLine = ` ${CWS}: connect time **${x(ratio(m(raw, 'connectsPerSecond'), m(cws, 'connectsPerSecond')))}**; fan-out **${x(onCws.throughput)}** delivered/s, **${x(onCws.p99)}** p99.`;
        return `${clients} users, ${where}: connect time realtime / raw socket.io = **${x(connectTime)}**; fan-out **${x(throughput)}** delivered/s, **${x(p99)}** p99.${quietLine}${cwsLine}`;
      }),
    );
    return [
      `## One big room (${settings.bigRooms.join(' and ')} distinct users, each with its own JWT, joining one room as they connect; then ${settings.roomMessages} messages to the room at once)`,
      '',
      "Every server verifies the same tokens (stock Nest in `handleConnection`) and joins each socket to the room there. realtime runs with its defaults, presence on: the room's members hear of arrivals in `presence:diff` batches; over two instances also with `presence.roomEvents: false` (presence kept, no diffs); realtime + cws is realtime with `engine: 'cws'`. The fan-out starts as soon as the last client is in, with no pause. Medians of 3 runs here (at most): a run at 5,000 users takes most of a minute.",
      '',
      ...serverTable(rows, {
        'connects/s': median('connectsPerSecond'),
        'delivered msgs/s': median('deliveredPerSecond'),
        ...latency,
        'generator CPU': share('generatorCpu'),
      }),
      ...generatorBound(rows),
      ...ratios.map((line) => `- ${line}`),
      '',
    ];
  },
  sendToUser: (rows, { settings }, targets) => {
    const { throughput, p99 } = versus(rows.realtime, rows.raw);
    const cws = versus(rows['realtime + cws'], rows.raw);
    targets.push(['sendToUser delivered/s, realtime / raw socket.io', throughput, 0.95]);
    targets.push(['sendToUser p99, realtime / raw socket.io', p99, 1.1, 'at most']);
    return [
      `## sendToUser across two instances (${settings.users} users, one socket each, half on each instance; ${settings.userRounds} rounds of one message to every user, sent from one instance)`,
      '',
      "raw is `io.to('user:<id>').emit()` on the socket.io Redis adapter; realtime is `WebsocketBroadcastService.sendToUser()`, on ws or on cWS (`engine: 'cws'`). Times are until the last user got the round.",
      '',
      ...deliveryTable(rows),
      ...generatorBound(rows),
      `Ratio: realtime / raw socket.io = **${x(throughput)}** delivered/s, **${x(p99)}** p99; ${CWS} / raw socket.io = **${x(cws.throughput)}** delivered/s, **${x(cws.p99)}** p99.`,
      '',
    ];
  },
  recovery: (rows, { settings }, targets) => {
    const { clients, messages } = settings.fanout[0];
    const pairs = ['one instance', 'two instances over Redis'].flatMap((where) => [
      `fan-out to ${clients}, ${where}`,
      `sendToUser, ${where}`,
    ]);
    const lines = pairs.map((what) => {
      const { throughput, p99 } = versus(rows[`realtime + recovery, ${what}`], rows[`realtime, ${what}`]);
      targets.push([`${what}: delivered/s, recovery on / off`, throughput, 0.85]);
      targets.push([`${what}: p99, recovery on / off`, p99, 1.2, 'at most']);
      return `${what}: recovery on / off = **${x(throughput)}** delivered/s, **${x(p99)}** p99.`;
    });
    const heap = (name) => m(rows[`${name}, idle connection over Redis`], 'heapKB');
    const delivery = Object.fromEntries(Object.entries(rows).filter(([, r]) => r.deliveredPerSecond));
    return [
      `## Connection state recovery (\`recovery: true\`): what it costs (fan-out: ${messages} messages to ${clients}; sendToUser: ${settings.users} users, ${settings.userRounds} rounds)`,
      '',
      "One instance: socket.io's in-memory recovery. Over Redis: Redis Streams, where every message, the sending instance's own clients' too, is delivered through the stream.",
      '',
      ...deliveryTable(delivery),
      ...generatorBound(delivery),
      ...lines.map((line) => `- ${line}`),
      `- Heap per idle connection over Redis: ${fmt(heap('realtime'))} KB off, ${fmt(heap('realtime + recovery'))} KB on (**${x(heap('realtime + recovery') / heap('realtime'))}**).`,
      `- Redis memory of the stream: **${fmt(m(rows['realtime + recovery, stream'], 'streamKBPer10k'))} KB per 10,000 messages kept** (this benchmark's payload, a number; add your payloads' size).`,
      '',
    ];
  },
  sharded: (rows, { settings }) => {
    const delivery = Object.fromEntries(Object.entries(rows).filter(([, r]) => r.deliveredPerSecond));
    const perMaster = Object.entries(rows).filter(([, r]) => r.masters);
    const ports = Object.keys(perMaster[0][1].masters);
    const { clients, messages } = settings.fanout[0];
    return [
      `## Sharded pub/sub on a Redis Cluster (3 masters, two instances; fan-out: ${messages} messages to ${clients}; sendToUser: ${settings.users} users, ${settings.userRounds} rounds)`,
      '',
      ...deliveryTable(delivery),
      ...generatorBound(delivery),
      "Each master in one more run of each: PUBLISH / SPUBLISH calls, and MB it sent to its clients (the instances' subscriber connections; with PUBLISH, every message also crosses the cluster bus to every master):",
      '',
      ...table(
        ['run', ...ports.map((port) => `master :${port}`)],
        perMaster.map(([name, r]) => [
          name.replace(/, per master$/, ''),
          ...ports.map((port) => {
            const { publish, spublish, sentBytes } = r.masters[port];
            return `${publish} / ${spublish}, ${fmt(sentBytes / 1e6)} MB`;
          }),
        ]),
      ),
    ];
  },
  engine: (rows, { settings }, targets) => {
    const fanout = `fan-out to ${settings.fanout[0].clients}`;
    const of = (what) => Object.fromEntries(Object.entries(rows).filter(([name]) => name.endsWith(`, ${what}`)));
    const value = (name, what, key) => m(rows[`${name}, ${what}`], key);
    const gains = (engine, over) => {
      const acks = ratio(value(engine, 'acks', 'acksPerSecond'), value(over, 'acks', 'acksPerSecond'));
      const delivered = ratio(value(engine, fanout, 'deliveredPerSecond'), value(over, fanout, 'deliveredPerSecond'));
      return { acks, delivered };
    };
    // Server CPU per ack and per fan-out message, which a generator-bound run does not hide.
    const ackCpu = (name) => (value(name, 'acks', 'serverCpu') * 1e6) / value(name, 'acks', 'acksPerSecond');
    const fanoutCpu = (name) => value(name, fanout, 'receiverCpuMsPerMessage');
    const engines = ['realtime + bufferutil', 'realtime + cws'];
    for (const engine of engines) {
      targets.push([`acks/s, ${engine} / raw socket.io`, gains(engine, 'raw').acks, 1.3]);
      targets.push([`${fanout}, delivered/s, ${engine} / raw socket.io`, gains(engine, 'raw').delivered, 1.3]);
    }
    const summary = (engine) => {
      const [overRaw, overDefault] = [gains(engine, 'raw'), gains(engine, 'realtime')];
      return (
        `${engine}: acks **${x(overRaw.acks)}** raw socket.io, ${x(overDefault.acks)} realtime on ws; ${fanout} **${x(overRaw.delivered)}** raw socket.io, ${x(overDefault.delivered)} realtime on ws. ` +
        `Server CPU per ack ${fmt(ackCpu(engine))} µs (raw socket.io ${fmt(ackCpu('raw'))}, realtime on ws ${fmt(ackCpu('realtime'))}), per ${fanout} message ${fmt(fanoutCpu(engine))} ms (${fmt(fanoutCpu('raw'))}, ${fmt(fanoutCpu('realtime'))}); ` +
        `JWT connects ${x(ratio(value(engine, 'JWT connects', 'connectsPerSecond'), value('raw', 'JWT connects', 'connectsPerSecond')))} raw socket.io; heap per connection ${fmt(value(engine, 'heap', 'heapKB'))} KB (realtime on ws ${fmt(value('realtime', 'heap', 'heapKB'))}).`
      );
    };
    return [
      `## Faster engines: ws with its native \`bufferutil\`, and cWS (\`engine: 'cws'\`) (acks and JWT connects as above; ${fanout} on one instance; heap per idle authenticated connection)`,
      '',
      ...serverTable(of('acks'), {
        'acks/s': median('acksPerSecond'),
        ...latency,
        'server CPU': share('serverCpu'),
        'generator CPU': share('generatorCpu'),
      }),
      ...serverTable(of(fanout), {
        'delivered msgs/s': median('deliveredPerSecond'),
        ...latency,
        'receiving server CPU ms per message': median('receiverCpuMsPerMessage'),
        'generator CPU': share('generatorCpu'),
      }),
      ...serverTable(of('JWT connects'), { 'connects/s': median('connectsPerSecond') }),
      ...serverTable(of('heap'), { 'heap KB': median('heapKB'), 'RSS KB': median('rssKB') }),
      ...generatorBound(rows),
      ...engines.map((engine) => `- ${summary(engine)}`),
      '',
    ];
  },
  telemetry: (rows, { settings }, targets) => {
    const acks = (name) => m(rows[`realtime, ${name}`], 'acksPerSecond');
    const [absent, noSdk, sdk] = [
      acks('@opentelemetry/api absent'),
      acks('the API without an SDK'),
      acks('an SDK recording metrics and spans'),
    ];
    targets.push(['acks/s, the OpenTelemetry API without an SDK / the API absent', ratio(noSdk, absent), 0.99]);
    targets.push(['acks/s, an SDK recording metrics and spans / the API absent', ratio(sdk, absent), 0.95]);
    return [
      `## Metrics and traces: what they cost (acks, ${settings.ackClients} clients, ${settings.ackSeconds} s after ${settings.ackWarmUpSeconds} s of warm-up)`,
      '',
      ...serverTable(rows, { 'acks/s': median('acksPerSecond'), ...latency, 'server CPU': share('serverCpu') }),
      `Ratios to the API absent: without an SDK **${x(ratio(noSdk, absent))}**, with an SDK recording metrics and a span per message **${x(ratio(sdk, absent))}** (metrics only ${x(ratio(acks('an SDK recording metrics only'), absent))}, spans only ${x(ratio(acks('an SDK recording spans only'), absent))}, metrics and 1 trace in 10 sampled ${x(ratio(acks('an SDK recording metrics and 1 trace in 10'), absent))}).`,
      '',
    ];
  },
  presence: (rows, { settings }) => [
    `## Presence and membership look-ups (${settings.presenceConnections} connections over two instances, ${settings.lookups} sequential calls each)`,
    '',
    `realtime: \`PresenceService.isOnline()\` (one Redis command) and \`RoomService.members()\` of a ${settings.roomSize}-socket room (socket.io's \`fetchSockets\` across instances); raw: what a hand-written app does without a presence store, \`fetchSockets()\` of the user's room and of the room.`,
    '',
    ...serverTable(rows, {
      'isOnline p50 ms': median('isOnlineP50'),
      'isOnline p99 ms': median('isOnlineP99'),
      'members p50 ms': median('membersP50'),
      'members p99 ms': median('membersP99'),
    }),
    `Ratios, realtime / raw: isOnline p50 **${x(ratio(m(rows.realtime, 'isOnlineP50'), m(rows.raw, 'isOnlineP50')))}**, members p50 **${x(ratio(m(rows.realtime, 'membersP50'), m(rows.raw, 'membersP50')))}**.`,
    '',
  ],
};

/** The whole report: header, the sections of the groups that ran, then the targets. */
export function renderReport(results, { command, settings }) {
  const targets = [];
  const body = Object.entries(sections).flatMap(([group, render]) => (results[group] ? render(results[group], { settings }, targets) : []));
  return [
    '# Benchmark results',
    '',
    `Command: \`${command}\` on ${new Date().toISOString().slice(0, 10)}, Node ${process.version}, 2 cores: each server process (and Redis) pinned to core 0, the load generator to core 1. Medians of ${settings.repeats} runs, the contenders of a table taking turns run by run, with the spread (min–max) in parentheses. What the scenarios do and what the numbers mean: [README.md](README.md).`,
    '',
    '## Targets',
    '',
    ...table(
      ['target', 'goal', 'measured', 'met'],
      // three decimals, so that a ratio just short of its goal does not read as meeting it
      targets.map(([what, value, goal, direction = 'at least']) => [
        what,
        `${direction === 'at most' ? '≤' : '≥'} ${goal.toFixed(2)}×`,
        `${value.toFixed(3)}×`,
        (direction === 'at most' ? value <= goal : value >= goal) ? 'yes' : '**no**',
      ]),
    ),
    ...body,
  ].join('\n');
}
