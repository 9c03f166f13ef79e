import type { RedisConnections } from '../redis/redis-connections.js';
import type { AdapterConstructor } from './realtime-engine.interface.js';

/** The adapter method that `serverSideEmit()` and `serverSideEmitWithAck()` call: the ack, if any, last. */
interface ServerSideEmitter {
  serverSideEmit(packet: unknown[]): unknown;
}

type ServerSideAck = (error: Error | null, responses: unknown[]) => void;

/**
 * The adapters of `adapterFor`, whose `serverSideEmit` with an ack answers a `RedisNotConnectedError`
 * while Redis is down. With an ack, the Redis adapters first ask Redis how many instances there are,
 * and socket.io drops the promise: the sharded adapter's rejection ended the process, and the pub/sub
 * adapter, which swallows it, never called the ack (`serverSideEmitWithAck()` waited for good). A
 * failure of the sharded adapter's own request (Redis lost meanwhile) goes to the ack too.
 */
export function answeringServerSideEmitsWhileDown(adapterFor: AdapterConstructor, connections: RedisConnections): AdapterConstructor {
  const create = adapterFor as unknown as (namespace: unknown) => ServerSideEmitter;
  // socket.io calls it with `new`: a function, not an arrow, returning the adapter it built.
  return function answeringAdapter(namespace: unknown) {
    const adapter = create(namespace);
    const serverSideEmit = adapter.serverSideEmit.bind(adapter);
    adapter.serverSideEmit = (packet) => {
      const ack = packet.at(-1);
      if (typeof ack !== 'function') return serverSideEmit(packet);
      const answer = ack as ServerSideAck;
      if (!connections.ready) return answer(connections.notConnected(), []);
      return Promise.resolve(serverSideEmit(packet)).catch((error: Error) => answer(error, []));
    };
    return adapter;
  } as unknown as AdapterConstructor;
}
