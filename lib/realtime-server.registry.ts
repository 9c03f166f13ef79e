import { Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import type { Namespace, Server } from 'socket.io';
import { channelsSubscribed } from './engines/channel-subscriptions.js';
import { NamespaceConflictError } from './errors/namespace-conflict.error.js';
import { SocketIoRequiredError } from './errors/socket-io-required.error.js';
import { UnknownNamespaceError } from './errors/unknown-namespace.error.js';
import type { RedisConnections, RedisConnectionsState } from './redis/redis-connections.js';

/** A namespace a gateway serves: a name, or a pattern for dynamic namespaces (a RegExp or a function). */
export type GatewayNamespace = string | RegExp | ((...args: never[]) => unknown);

interface Served {
  namespace: GatewayNamespace;
  server: Server;
}

/**
 * Every socket.io server the adapter created (a second port or path included), every namespace open
 * on them, and which namespace each gateway serves: what the room, broadcast and presence services
 * act on. Empty in a process that serves no sockets (a worker).
 */
@Injectable()
export class RealtimeServerRegistry implements OnApplicationBootstrap {
  private readonly servers = new Map<Server, { label: string; redis?: RedisConnections }>();
  private readonly served: Served[] = [];
  private readonly openNamespaces = new Set<Namespace>();
  private readonly redisConnections = new Set<RedisConnections>();
  private readonly serverListeners: ((server: Server) => void)[] = [];
  private readonly namespaceListeners: ((namespace: Namespace) => void)[] = [];
  private nativeWsGateways = false;

  /** The first server, whose main namespace carries the requests between instances. */
  get server(): Server | undefined {
    return this.servers.keys().next().value;
  }

  /** The Redis connections of the first server's adapter, with `redis` options. */
  get redis(): RedisConnections | undefined {
    const first = this.server;
    return first && this.servers.get(first)?.redis;
  }

  /** The state of every Redis connection the library opened in this process, for a health check. */
  get redisStates(): RedisConnectionsState[] {
    return [...this.redisConnections].map((connections) => connections.state);
  }

  /** Every namespace open on every server. */
  get namespaces(): Namespace[] {
    return [...this.openNamespaces];
  }

  /** Called by the native `ws` adapter (`nestjs-realtime/ws`) when it serves a gateway. */
  serveNativeWs(): void {
    this.nativeWsGateways = true;
  }

  /** Throws `SocketIoRequiredError` when the app serves gateways, all of them on the native `ws` adapter. */
  requireSocketIo(operation: string): void {
    if (this.nativeWsGateways && this.servers.size === 0) throw new SocketIoRequiredError(operation);
  }

  /** Called by `setUpConnections` for each server the adapter creates; `label` names it in errors. */
  register(server: Server, { label, redis }: { label: string; redis?: RedisConnections }): void {
    this.servers.set(server, { label, redis });
    if (redis) this.trackRedis(redis);
    const opened = (namespace: Namespace): void => {
      this.openNamespaces.add(namespace);
      this.namespaceListeners.forEach((listener) => listener(namespace));
    };
    opened(server.of('/'));
    server.on('new_namespace', opened);
    this.serverListeners.forEach((listener) => listener(server));
  }

  /**
   * Runs before the app listens: waits until the adapters of the namespaces open hear the other instances
   * (Redis confirmed their channels' subscriptions), so that a client that connects once `app.listen()`
   * resolved gets what any instance broadcasts from then on.
   */
  async onApplicationBootstrap(): Promise<void> {
    await Promise.all(this.namespaces.map(channelsSubscribed));
  }

  /** Counts `connections` among those the health check looks at (presence and the publisher open theirs lazily). */
  trackRedis(connections: RedisConnections): void {
    this.redisConnections.add(connections);
  }

  /** Records that a gateway serves `namespace` on `server`; another server serving it is a boot error. */
  serve(server: Server, namespace: GatewayNamespace): void {
    const other = this.served.find((served) => served.server !== server && String(served.namespace) === String(namespace));
    if (other) throw new NamespaceConflictError(String(namespace), this.labelOf(other.server), this.labelOf(server));
    this.served.push({ namespace, server });
  }

  /**
   * The namespace called `name` on the server whose gateway serves it; undefined while no server exists
   * (a worker, or before the gateways are up), and for a dynamic namespace no client opened here yet.
   * Throws `UnknownNamespaceError` for a name that no gateway serves.
   */
  namespaceNamed(name: string, operation = 'This call'): Namespace | undefined {
    this.requireSocketIo(operation);
    if (this.servers.size === 0) return undefined;
    const open = (server: Server) => this.namespaces.find((namespace) => namespace.server === server && namespace.name === name);
    for (const { namespace, server } of this.served) {
      if (namespace === name) return server.of(name);
      // a pattern (RegExp, or a function that decides per connection) serves the children opened from it
      if (typeof namespace !== 'string' && (namespace instanceof RegExp ? namespace.test(name) : open(server))) return open(server);
    }
    throw new UnknownNamespaceError(
      name,
      this.served.map(({ namespace }) => String(namespace)),
    );
  }

  /** Runs `listener` with every namespace of every server, those open now and those opened later. */
  onNamespace(listener: (namespace: Namespace) => void): void {
    this.namespaceListeners.push(listener);
    this.openNamespaces.forEach((namespace) => listener(namespace));
  }

  /** Runs `listener` with every server, those there now and those created later. */
  onServer(listener: (server: Server) => void): void {
    this.serverListeners.push(listener);
    this.servers.forEach((_meta, server) => listener(server));
  }

  private labelOf(server: Server): string {
    return this.servers.get(server)?.label ?? 'a socket.io server';
  }
}
