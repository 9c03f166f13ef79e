import { Logger } from '@nestjs/common';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import { connect as connectTcp, type Socket as TcpSocket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Server } from 'socket.io';
import type { Socket } from 'socket.io-client';
import { RedisIoAdapter, type RealtimeModuleOptions } from '../../lib/index.js';
import { connectClient, signTestToken, type ConnectClientOptions } from '../../lib/testing/index.js';
import { collect, untilCount } from '../utils/events.js';
import { buildLibraryForInstances, InstanceProcess, type CompiledLibrary } from '../utils/instance-process.js';
import { RedisServer } from '../utils/redis-server.js';
import { RecordingLogger, uniquePrefix } from '../utils/test-bed.js';

const SECRET = 'cws-engine-test-secret';
const MAX_MESSAGE_BYTES = 10_000;
const OPTIONS: RealtimeModuleOptions = { engine: 'cws', auth: { secret: SECRET }, maxHttpBufferSize: MAX_MESSAGE_BYTES };

// The app runs in its own process (test/fixtures/engine-app.mjs), as an app loads the native engine:
// inside Jest's module sandbox cWS aborts the process at exit.
describe("engine 'cws': socket.io on cWS (@encharm/cws)", () => {
  let library: CompiledLibrary;
  let app: InstanceProcess;
  const sockets: Socket[] = [];
  /** A client of the app at `url` as `user`, closed after the suite. */
  const connectUser = async (url: string, user: string, options: ConnectClientOptions = {}) => {
    const socket = await connectClient(url, { token: signTestToken({ sub: user }, SECRET), ...options });
    sockets.push(socket);
    return socket;
  };
  const client = (user: string, options: ConnectClientOptions = {}) => connectUser(app.url, user, options);

  beforeAll(async () => {
    library = await buildLibraryForInstances();
    app = await InstanceProcess.start(library, OPTIONS, 'engine-app.mjs');
  });

  afterAll(async () => {
    sockets.forEach((socket) => socket.close());
    await app?.kill();
    await library?.remove();
  });

  it('serves the gateway: 50 sockets connecting at once each get their own user, and 50 numbered acks come back in order', async () => {
    const users = Array.from({ length: 50 }, (_, i) => `user${i}`);
    const connected = await Promise.all(users.map((user) => client(user)));

    expect(await connected[0].emitWithAck('engine')).toBe('CwsWsServer');
    expect(await Promise.all(connected.map((socket) => socket.emitWithAck('whoami')))).toEqual(users);
    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, seq) => connected[0].emitWithAck('echo', { seq, text: 'é'.repeat(50) })),
    );
    expect(answers.map((answer: { seq: number }) => answer.seq)).toEqual(Array.from({ length: 50 }, (_, seq) => seq));
  });

  it('delivers every broadcast to every socket: 20 numbered messages to 30 sockets', async () => {
    const listeners = await Promise.all(Array.from({ length: 30 }, (_, i) => client(`listener${i}`)));
    const received = listeners.map((socket) => collect<number>(socket, 'shout'));
    for (let seq = 0; seq < 20; seq++) listeners[0].emit('shout', seq);
    await Promise.all(listeners.map((socket, i) => untilCount(socket, 'shout', received[i], 20)));

    expect(received).toEqual(listeners.map(() => Array.from({ length: 20 }, (_, seq) => seq)));
  });

  it('broadcasts text of every length and script intact: socket.io frames it once, cWS sends that payload to each socket', async () => {
    const listeners = await Promise.all(Array.from({ length: 5 }, (_, i) => client(`reader${i}`)));
    const received = listeners.map((socket) => collect<string>(socket, 'amplified'));
    // the three WebSocket length encodings (up to 125 bytes, up to 64 KiB, beyond), in several scripts
    const sent = [
      { text: 'é✓', times: 1 },
      { text: 'Grüße, 世界 🚀 ', times: 100 },
      { text: 'ünïcødé 🚀', times: 10_000 },
    ];
    for (const message of sent) listeners[0].emit('amplify', message);
    await Promise.all(listeners.map((socket, i) => untilCount(socket, 'amplified', received[i], sent.length)));

    expect(received).toEqual(listeners.map(() => sent.map(({ text, times }) => text.repeat(times))));
  });

  it('crosses instances over Redis: 20 numbered broadcasts sent on one reach 10 sockets on the other, in order', async () => {
    const redis = await RedisServer.start();
    const instances: InstanceProcess[] = [];
    try {
      const options = { ...OPTIONS, redis: { url: redis.url, keyPrefix: uniquePrefix('cws') } };
      for (let i = 0; i < 2; i++) instances.push(await InstanceProcess.start(library, options, 'engine-app.mjs'));
      const sender = await connectUser(instances[0].url, 'sender');
      const listeners = await Promise.all(Array.from({ length: 10 }, (_, i) => connectUser(instances[1].url, `far${i}`)));
      const received = listeners.map((socket) => collect<number>(socket, 'shout'));
      for (let seq = 0; seq < 20; seq++) sender.emit('shout', seq);
      await Promise.all(listeners.map((socket, i) => untilCount(socket, 'shout', received[i], 20)));

      expect(received).toEqual(listeners.map(() => Array.from({ length: 20 }, (_, seq) => seq)));
    } finally {
      await Promise.all(instances.map((instance) => instance.kill()));
      await redis.stop();
    }
  });

  it.each([
    ['in memory', false],
    ['over Redis Streams', true],
  ])(
    'recovers a dropped connection with recovery on (%s): the socket back, and the 10 numbered broadcasts sent meanwhile',
    async (_where, overRedis) => {
      const redis = overRedis ? await RedisServer.start() : undefined;
      const options = { ...OPTIONS, recovery: true, redis: redis && { url: redis.url, keyPrefix: uniquePrefix('cws-recovery') } };
      const recovering = await InstanceProcess.start(library, options, 'engine-app.mjs');
      try {
        const alice = await connectUser(recovering.url, 'alice', { reconnection: true });
        const bob = await connectUser(recovering.url, 'bob');
        const received = collect<number>(alice, 'shout');
        bob.emit('shout', 0);
        await untilCount(alice, 'shout', received, 1);

        alice.io.reconnection(false);
        const dropped = new Promise((resolve) => alice.once('disconnect', resolve));
        alice.io.engine.close();
        await dropped;
        const echoed = collect<number>(bob, 'shout');
        for (let seq = 1; seq <= 10; seq++) bob.emit('shout', seq);
        await untilCount(bob, 'shout', echoed, 10); // all sent while alice was away
        alice.connect();
        await untilCount(alice, 'shout', received, 11);

        expect(alice.recovered).toBe(true);
        expect(received).toEqual(Array.from({ length: 11 }, (_, seq) => seq));
      } finally {
        await recovering.kill();
        await redis?.stop();
      }
    },
  );

  it('keeps a binary message intact after later messages (cWS reuses its receive buffer)', async () => {
    const socket = await client('binary');
    const first = randomBytes(2_000);
    expect(await socket.emitWithAck('keep', first)).toBe('kept');
    for (let i = 0; i < 5; i++) await socket.emitWithAck('echo', randomBytes(2_000));

    expect(Buffer.compare(Buffer.from(await socket.emitWithAck('kept')), first)).toBe(0);
  });

  it('upgrades a polling client to WebSocket', async () => {
    const socket = await client('polling', { transports: ['polling', 'websocket'] });
    if (socket.io.engine.transport.name !== 'websocket') await new Promise((resolve) => socket.io.engine.once('upgrade', resolve));

    expect(socket.io.engine.transport.name).toBe('websocket');
    expect(await socket.emitWithAck('whoami')).toBe('polling');
  });

  it('survives malformed frames and an oversized message: those connections close, the others are still served', async () => {
    const bystander = await client('bystander');
    const oversized = await client('oversized');
    const closed = new Promise((resolve) => oversized.once('disconnect', resolve));
    oversized.emit('echo', 'x'.repeat(MAX_MESSAGE_BYTES * 2));
    expect(await closed).toBe('transport close');

    const malformed = {
      'random bytes': randomBytes(4_000),
      'an unmasked frame': frame(0x1, '40', { mask: false }),
      'a length of 2^40': frame(0x2, 'abc', { length: 2 ** 40 }),
      'a reserved opcode': frame(0x3, 'abc'),
      'RSV bits set': setRsvBits(frame(0x1, '40')),
      'a fragmented ping': frame(0x9, 'a', { fin: false }),
      'a continuation with nothing to continue': frame(0x0, 'abc'),
      'a close code of 999': frame(0x8, Buffer.from([0x03, 0xe7])),
      'invalid UTF-8 in a text frame': Buffer.concat([frame(0x1, '40'), frame(0x1, Buffer.from([0x34, 0x32, 0xff, 0xfe]))]),
      'half a frame, then the end': frame(0x1, '40').subarray(0, 3),
    };
    for (const [what, bytes] of Object.entries(malformed)) {
      const tcp = await upgradedConnection(app.port);
      tcp.end(bytes);
      await once(tcp, 'close');
      expect([what, app.running, await bystander.emitWithAck('whoami')]).toEqual([what, true, 'bystander']);
    }
    expect(await (await client('newcomer')).emitWithAck('whoami')).toBe('newcomer');
  });

  it("runs on ws over the app's HTTPS server, which cWS cannot serve, and says so", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cws-tls-'));
    const [key, cert] = [join(dir, 'key.pem'), join(dir, 'cert.pem')];
    try {
      const subject = ['-subj', '/CN=127.0.0.1', '-days', '1'];
      await promisify(execFile)('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, ...subject]);
      const overTls = await InstanceProcess.start(library, OPTIONS, 'engine-app.mjs', { TLS_KEY: key, TLS_CERT: cert });
      try {
        const socket = await connectUser(overTls.url.replace('http:', 'https:'), 'over-tls', { rejectUnauthorized: false });

        expect(await socket.emitWithAck('engine')).toBe('WebSocketServer');
        expect(await socket.emitWithAck('whoami')).toBe('over-tls');
        expect(overTls.output).toMatch(/engine 'cws' cannot serve WebSockets over the app's HTTPS server, so socket.io runs on ws there/);
      } finally {
        await overTls.kill();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('shuts down as a deploy expects, with clients connected: SIGTERM ends it by the signal, after app.close() it exits by itself with 0', async () => {
    await client('at-sigterm');
    expect(await app.terminate('SIGTERM')).toEqual({ code: null, signal: 'SIGTERM' });

    const closing = await InstanceProcess.start(library, OPTIONS, 'engine-app.mjs');
    try {
      await connectUser(closing.url, 'at-close');
      expect(await closing.terminate('SIGINT')).toEqual({ code: 0, signal: null });
    } finally {
      await closing.kill();
    }
  });
});

describe("engine 'cws' on a hand-wired adapter that never loaded it", () => {
  it('runs on ws and says once how to load it', async () => {
    const logger = new RecordingLogger();
    Logger.overrideLogger(logger);
    const adapter = new RedisIoAdapter(createServer(), { engine: 'cws' }); // no connectToRedis()
    const at = (path: string) => ({ path }) as Parameters<RedisIoAdapter['create']>[1];
    const servers = [adapter.create(0, at('/a')), adapter.create(0, at('/b'))] as Server[];
    try {
      const engines = servers.map((server) => (server.engine as unknown as { ws: object }).ws.constructor.name);
      expect(engines).toEqual(['WebSocketServer', 'WebSocketServer']);
      expect(logger.lines.filter((line) => /engine 'cws' is loaded by `await adapter.connectToRedis\(\)`/.test(line.message))).toHaveLength(
        1,
      );
    } finally {
      await Promise.all(servers.map((server) => adapter.close(server)));
    }
  });
});

/** A raw TCP connection that has completed a socket.io WebSocket upgrade. */
async function upgradedConnection(port: number): Promise<TcpSocket> {
  const tcp = connectTcp(port, '127.0.0.1');
  await once(tcp, 'connect');
  tcp.write(
    'GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
      `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
  );
  const [response] = (await once(tcp, 'data')) as [Buffer];
  expect(response.toString().split('\r\n')[0]).toBe('HTTP/1.1 101 Switching Protocols');
  tcp.on('error', () => undefined); // the server may reset it
  return tcp;
}

/** One WebSocket frame as a client sends it (masked), or with `length` a header that claims another length. */
function frame(
  opcode: number,
  payload: string | Buffer,
  { fin = true, mask = true, length }: { fin?: boolean; mask?: boolean; length?: number } = {},
): Buffer {
  const body = Buffer.from(payload);
  const claimed = length ?? body.length;
  const first = (fin ? 0x80 : 0) | opcode;
  const maskBit = mask ? 0x80 : 0;
  let header: Buffer;
  if (claimed < 126) header = Buffer.from([first, maskBit | claimed]);
  else {
    header = Buffer.alloc(10);
    header[0] = first;
    header[1] = maskBit | 127;
    header.writeBigUInt64BE(BigInt(claimed), 2);
  }
  if (!mask) return Buffer.concat([header, body]);
  const key = randomBytes(4);
  return Buffer.concat([header, key, body.map((byte, i) => byte ^ key[i % 4])]);
}

function setRsvBits(bytes: Buffer): Buffer {
  bytes[0] |= 0x70;
  return bytes;
}
