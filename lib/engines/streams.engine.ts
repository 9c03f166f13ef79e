import { Logger } from '@nestjs/common';
import { createAdapter } from '@socket.io/redis-streams-adapter';
import type { RedisClient, RedisConnections } from '../redis/redis-connections.js';
import type { RealtimeRecoveryOptions, ResolvedRedisOptions } from '../realtime-options.interface.js';
import { SessionKeeper } from '../recovery/session-keeper.js';
import { StreamRecovery, type StreamsAdapter } from '../recovery/stream-recovery.js';
import { BroadcastPublisher } from './broadcast-publisher.js';
import { StreamWriter } from '../recovery/stream-writer.js';
import type { RealtimeEngine } from './realtime-engine.interface.js';

const logger = new Logger('RealtimeRecovery');
/** One writer per process and connection: its sequence numbers and outage buffer must be shared by every send. */
const workerWriters = new WeakMap<RedisConnections, StreamWriter>();

/**
 * Redis Streams with connection state recovery (`recovery` on): `@socket.io/redis-streams-adapter`,
 * made to deliver every missed message in order and once by `StreamRecovery`; processes without
 * sockets append to the same stream in the adapter's format.
 */
export function streamsEngine(recovery: Required<RealtimeRecoveryOptions>): RealtimeEngine {
  return {
    adapterConnections: {
      names: ['stream', 'stream-read', 'stream-sub'],
      blocking: ['stream-read', 'stream-sub'],
      whileDown: `messages wait in a buffer (recovery.bufferMaxMessages ${recovery.bufferMaxMessages}) until it returns`,
    },

    publisherConnections: {
      names: ['emitter'],
      whileDown: `messages wait in a buffer (recovery.bufferMaxMessages ${recovery.bufferMaxMessages}) until it returns`,
    },

    async createAdapter(connections, options) {
      const [client, reader, subscriber] = connections.clients;
      const stream = streamKey(options);
      const start = await headOf(client, stream, recovery.streamMaxLength);
      const writer = new StreamWriter(client, stream, recovery.streamMaxLength, recovery, logger);
      const sessions = new SessionKeeper(client, sessionKeyPrefix(options), recovery.maxDisconnectionMs, logger);
      connections.onBack(() => {
        void writer.flush();
        sessions.rewriteAll();
      });
      connections.onQuit(() => {
        writer.close();
        sessions.close();
      });
      const recovering = new StreamRecovery(client, stream, start, writer, sessions, logger);
      const adapterFor = createAdapter(adapterView(connections, client, [reader, subscriber]), {
        streamName: stream,
        maxLen: recovery.streamMaxLength,
        channelPrefix: `${options.keyPrefix}:recovery`,
        sessionKeyPrefix: sessionKeyPrefix(options),
      });
      // socket.io calls it with `new`: a function, not an arrow, returning the adapter it built.
      return function recoveringAdapter(namespace: unknown) {
        const adapter = adapterFor(namespace);
        recovering.adapt(adapter as unknown as StreamsAdapter);
        return adapter;
      };
    },

    publisher(connections, options, namespace) {
      let writer = workerWriters.get(connections);
      if (!writer) {
        writer = new StreamWriter(connections.clients[0], streamKey(options), recovery.streamMaxLength, recovery, logger);
        const flushing = writer;
        connections.onBack(() => void flushing.flush());
        connections.onQuit(() => flushing.close());
        workerWriters.set(connections, writer);
      }
      const written = writer;
      return new BroadcastPublisher((broadcast) => written.write(namespace, broadcast), namespace);
    },
  };
}

function streamKey(options: ResolvedRedisOptions): string {
  return `${options.keyPrefix}:stream`;
}

function sessionKeyPrefix(options: ResolvedRedisOptions): string {
  return `${options.keyPrefix}:session:`;
}

/** The last entry of the stream, where the first sockets start; an empty stream gets a marker entry to point at. */
async function headOf(client: RedisClient, stream: string, maxLength: number): Promise<string> {
  const [last] = (await client.xrevrange(stream, '+', '-', 'COUNT', 1)) as [string, string[]][];
  return last?.[0] ?? (await client.xadd(stream, 'MAXLEN', '~', maxLength, '*', 'marker', 'start'))!;
}

/**
 * The client the streams adapter is given. It duplicates its client for its reader and subscriber:
 * it gets the connections opened for them (named, tracked and closed with the others), and sees no
 * `lazyConnect`, so that it does not connect them again (which rejects, unhandled). The publishes it
 * does not await report their failures as an outage instead of crashing the process.
 */
function adapterView(connections: RedisConnections, client: RedisClient, [reader, subscriber]: RedisClient[]): RedisClient {
  const reporting = connections.reportingFailuresOf(client, ['publish', 'spublish']);
  const handedOut = [stillOnQuit(connections, reader), subscriber];
  return new Proxy(reporting, {
    get(target, property, receiver) {
      if (property === 'duplicate') return () => handedOut.shift();
      if (property === 'options') return { ...client.options, lazyConnect: false };
      return Reflect.get(target, property, receiver) as unknown;
    },
  });
}

/**
 * The reader, whose reads never end once the connections are being quit. The adapter reads in a loop
 * that stops only when every namespace's adapter is closed: in a process without gateways there is
 * none, and reads failing at once on the closed connection would spin and block the event loop.
 */
function stillOnQuit(connections: RedisConnections, reader: RedisClient): RedisClient {
  let quitting = false;
  connections.onQuit(() => (quitting = true));
  return new Proxy(reader, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown;
      if (property !== 'xread' || typeof value !== 'function') return value;
      return (...args: unknown[]) =>
        quitting ? new Promise(() => undefined) : (value as (...a: unknown[]) => unknown).apply(target, args);
    },
  });
}
