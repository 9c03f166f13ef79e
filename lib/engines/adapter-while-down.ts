import type { RedisConnections } from '../redis/redis-connections.js';
import type { AdapterConstructor } from './realtime-engine.interface.js';

/** The adapter methods behind `serverSideEmit()` and behind a broadcast with acks. */
interface AskingAdapter {
  serverSideEmit(packet: unknown[]): unknown;
  broadcastWithAck(...args: unknown[]): unknown;
  serverCount(): Promise<number>;
}

type ServerSideAck = (error: Error | null, responses: unknown[]) => void;

/**
 * The adapters of `adapterFor`, safe to ask the other instances while Redis is down. The Redis adapters
 * first ask Redis how many instances there are, and socket.io drops the promise in two places:
 * - `serverSideEmit` with an ack (`serverSideEmitWithAck()`): the sharded adapter's rejection ended the
 *   process and the pub/sub adapter, which swallows it, never called the ack. The ack now gets a
 *   `RedisNotConnectedError` at once (or the sharded adapter's failure, when Redis went meanwhile).
 * - a broadcast with acks (`io.timeout(ms).emitWithAck()`): socket.io calls `serverCount()` right after
 *   `broadcastWithAck()`, and a rejection ended the process with either adapter. That count now falls
 *   back to this instance alone, whose clients are the only ones the broadcast reached: their acks come
 *   back. Other callers of `serverCount()` (`fetchSockets()`, ...) still get the error.
 */
export function askingSafelyWhileDown(adapterFor: AdapterConstructor, connections: RedisConnections): AdapterConstructor {
  const create = adapterFor as unknown as (namespace: unknown) => AskingAdapter;
  // socket.io calls it with `new`: a function, not an arrow, returning the adapter it built.
  return function askingAdapter(namespace: unknown) {
    const adapter = create(namespace);
    const serverSideEmit = adapter.serverSideEmit.bind(adapter);
    adapter.serverSideEmit = (packet) => {
      const ack = packet.at(-1);
      if (typeof ack !== 'function') return serverSideEmit(packet);
      const answer = ack as ServerSideAck;
      if (!connections.ready) return answer(connections.notConnected(), []);
      return Promise.resolve(serverSideEmit(packet)).catch((error: Error) => answer(error, []));
    };
    const broadcastWithAck = adapter.broadcastWithAck.bind(adapter);
    const serverCount = adapter.serverCount.bind(adapter);
    let countingForBroadcast = false;
    adapter.broadcastWithAck = (...args) => {
      countingForBroadcast = true;
      queueMicrotask(() => (countingForBroadcast = false)); // socket.io asks in the same turn
      return broadcastWithAck(...args);
    };
    adapter.serverCount = () => {
      const counting = serverCount();
      if (!countingForBroadcast) return counting;
      countingForBroadcast = false;
      return counting.catch(() => 1);
    };
    return adapter;
  } as unknown as AdapterConstructor;
}
