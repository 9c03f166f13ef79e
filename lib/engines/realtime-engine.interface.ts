import type { ServerOptions } from 'socket.io';
import type { ResolvedRedisOptions } from '../realtime-options.interface.js';
import type { RedisConnections, RedisConnectionsPurpose } from '../redis/redis-connections.js';

/** What both a socket.io namespace and a publisher for processes without sockets can do. */
export interface Broadcaster {
  to(room: string | string[]): Broadcaster;
  except(room: string | string[]): Broadcaster;
  emit(event: string, ...args: unknown[]): unknown;
}

/** A socket.io adapter class, or its factory, as `ServerOptions.adapter` takes it. */
export type AdapterConstructor = ServerOptions['adapter'];

/**
 * How messages travel between instances over Redis: the socket.io adapter of the processes that serve
 * sockets, and the publisher that lets a process without sockets (a queue worker) reach the same
 * clients. Each engine is one file; `engineFor()` picks one from the options.
 */
export interface RealtimeEngine {
  /** The connections the adapter needs (`<keyPrefix>:<name>` in `CLIENT LIST`), and what an outage means for users. */
  readonly adapterConnections: RedisConnectionsPurpose;
  /** The connection of a process without sockets that reaches clients through {@link publisher}. */
  readonly publisherConnections: RedisConnectionsPurpose;
  /** The socket.io adapter on the connections opened for it, in the order of `adapterConnections.names`. */
  createAdapter(connections: RedisConnections, options: ResolvedRedisOptions): Promise<AdapterConstructor>;
  /** A namespace of the clients of every instance, reached through one connection. */
  publisher(connections: RedisConnections, options: ResolvedRedisOptions, namespace: string): Broadcaster;
}
