import { Injectable } from '@nestjs/common';
import type { Namespace, Server } from 'socket.io';
import type { RedisConnections } from './redis/redis-connections.js';

/**
 * The app's socket.io server, once the adapter created it, and every namespace opened on it; what
 * the room and broadcast services act on. Empty in a process that serves no sockets (a worker).
 */
@Injectable()
export class RealtimeServerRegistry {
  private current?: Server;
  private serverRedis?: RedisConnections;
  private readonly openNamespaces = new Set<Namespace>();
  private readonly listeners: ((server: Server) => void)[] = [];
  private readonly namespaceListeners: ((namespace: Namespace) => void)[] = [];

  get server(): Server | undefined {
    return this.current;
  }

  /** The Redis connections of the server's adapter, with `redis` options. */
  get redis(): RedisConnections | undefined {
    return this.serverRedis;
  }

  get namespaces(): Namespace[] {
    return [...this.openNamespaces];
  }

  /** Called by `setUpConnections` for the app's server; a second server (another port or path) is not tracked. */
  register(server: Server, redis?: RedisConnections): void {
    if (this.current) return;
    this.current = server;
    this.serverRedis = redis;
    const opened = (namespace: Namespace): void => {
      this.openNamespaces.add(namespace);
      this.namespaceListeners.forEach((listener) => listener(namespace));
    };
    opened(server.of('/'));
    server.on('new_namespace', opened);
    this.listeners.forEach((listener) => listener(server));
  }

  /** Runs `listener` with every namespace of the server, those open now and those opened later. */
  onNamespace(listener: (namespace: Namespace) => void): void {
    this.namespaceListeners.push(listener);
    this.openNamespaces.forEach((namespace) => listener(namespace));
  }

  /** Runs `listener` with the server once there is one (at once if there is already). */
  onServer(listener: (server: Server) => void): void {
    this.listeners.push(listener);
    if (this.current) listener(this.current);
  }
}
