import { Logger, type INestApplicationContext } from '@nestjs/common';
import type { MessageMappingProperties } from '@nestjs/websockets';
import { IoAdapter } from '@nestjs/platform-socket.io';
import { Server as TlsServer } from 'node:tls';
import type { Namespace, Server, ServerOptions, Socket } from 'socket.io';
import { RedisNotConnectedError } from '../errors/redis-not-connected.error.js';
import { engineFor } from '../engines/engine-for.js';
import type { AdapterConstructor } from '../engines/realtime-engine.interface.js';
import type { RealtimeModuleOptions, ResolvedRealtimeOptions } from '../realtime-options.interface.js';
import { resolveRealtimeOptions } from '../realtime-options.resolve.js';
import { MessageDispatcher, type MapPayload } from './message-dispatcher.js';
import { setUpConnections } from '../connection/connection-setup.js';
import { RealtimeServerRegistry, type GatewayNamespace } from '../realtime-server.registry.js';
import { RedisConnections } from '../redis/redis-connections.js';
import { providedByApp } from '../provided-by-app.js';
import { loadWsEngine, type WsEngine } from '../ws-engine/load-ws-engine.js';

/**
 * Nest's `IoAdapter` on the socket.io Redis adapter (or the in-memory one without `redis` options),
 * with the module's server options applied to every gateway.
 * @example
 * const adapter = new RedisIoAdapter(app, { redis: { url: 'redis://localhost:6379' } });
 * await adapter.connectToRedis();
 * app.useWebSocketAdapter(adapter);
 */
export class RedisIoAdapter extends IoAdapter {
  private readonly options: ResolvedRealtimeOptions;
  private readonly adapterLogger = new Logger(RedisIoAdapter.name);
  private readonly dispatcher = new MessageDispatcher(this.adapterLogger, (payload) => this.mapPayload(payload) as ReturnType<MapPayload>);
  private readonly registry?: RealtimeServerRegistry;
  private redis?: RedisConnections;
  private adapterConstructor?: AdapterConstructor;
  /** The warnings said once per adapter. */
  private readonly warned = new Set<string>();
  /** The `engine`'s socket.io `wsEngine` once `connectToRedis()` has loaded it (none for `'ws'`). */
  private wsEngine?: { loaded: WsEngine | undefined };

  /**
   * @param appOrHttpServer the Nest app (whose `RealtimeModule`, if imported, then sees every server
   * this adapter creates) or an HTTP server.
   */
  constructor(appOrHttpServer?: INestApplicationContext | object, options: RealtimeModuleOptions = {}) {
    super(appOrHttpServer);
    this.options = resolveRealtimeOptions(options);
    // the registry of the app's RealtimeModule, through which its services see the servers; none when wired by hand
    this.registry = providedByApp(appOrHttpServer, RealtimeServerRegistry);
  }

  /**
   * Loads the `engine` and, with `redis`, connects pub and sub: resolves once both are ready, rejects
   * with an error naming the URL otherwise. `RedisIoAdapterFactory.create()` calls it.
   */
  async connectToRedis(): Promise<void> {
    this.wsEngine ??= { loaded: await loadWsEngine(this.options.engine ?? 'ws') };
    const redis = this.options.redis;
    if (!redis || this.redis) return;
    const engine = engineFor(redis, this.options.recovery);
    this.redis = await RedisConnections.open(redis, engine.adapterConnections);
    this.adapterConstructor = await engine.createAdapter(this.redis, redis);
  }

  /**
   * As Nest's `IoAdapter`; Nest calls it with `namespace` for a namespaced gateway (and without for the
   * bare server first), which records that namespace, pattern included, as served by a gateway.
   */
  override create(port: number, options?: Parameters<IoAdapter['create']>[1]): Server | Namespace {
    const created = super.create(port, options);
    const namespace = (options as { namespace?: GatewayNamespace } | undefined)?.namespace;
    if (namespace !== undefined && 'server' in created) this.registry?.serve(created.server, namespace);
    return created;
  }

  /** As Nest's `IoAdapter`; a gateway without namespace is bound to the server itself: it serves "/". */
  override bindClientConnect(server: Server | Namespace, callback: (...args: unknown[]) => void): void {
    if (!('server' in server)) this.registry?.serve(server, '/');
    super.bindClientConnect(server, callback);
  }

  /**
   * As Nest's `IoAdapter`, without its wrapper around `callback` (a closure per connection), and with
   * `on`, not `once`: socket.io emits `disconnect` once, and `once` costs a wrapper per connection.
   */
  override bindClientDisconnect(client: Socket, callback: (reason: string) => void): void {
    client.on('disconnect', callback);
  }

  /**
   * Creates the socket.io server, set up as `setUpConnections` says on every namespace; a gateway's
   * own options win over the module's, its own `adapter` included. A gateway that sets no port
   * listens on the module's `port` when there is one, else shares the app's HTTP server.
   */
  override createIOServer(port: number, options?: ServerOptions): Server {
    if (this.options.redis && !this.adapterConstructor) throw new RedisNotConnectedError();
    if (options?.adapter && this.adapterConstructor) {
      this.adapterLogger.warn(
        'A gateway sets its own socket.io "adapter": its server uses it instead of the Redis adapter of RealtimeModule.',
      );
    }
    const listenOn = port === 0 && this.options.port !== undefined ? this.options.port : port;
    // As Nest's IoAdapter: without a port of its own, the server shares the app's HTTP server.
    const overTls = listenOn === 0 && this.httpServer instanceof TlsServer;
    const serverOptions = {
      ...this.serverOptions(overTls),
      ...options,
      adapter: options?.adapter ?? this.adapterConstructor,
    } as ServerOptions;
    const server: Server = super.createIOServer(listenOn, serverOptions);
    this.warnOnceAboutStickySessions(serverOptions);
    const label = `the socket.io server ${listenOn ? `on port ${listenOn}` : "on the app's HTTP server"} (path ${serverOptions.path ?? '/socket.io'})`;
    setUpConnections(server, this.options, { registry: this.registry, redis: this.redis, label });
    return server;
  }

  /**
   * Binds a gateway's handlers to a socket with one dispatcher instead of an rxjs chain per handler;
   * guards, pipes, interceptors, filters and responses behave as with Nest's own binding.
   */
  override bindMessageHandlers(socket: Socket, handlers: MessageMappingProperties[]): void {
    this.dispatcher.bind(socket, handlers);
  }

  /**
   * Disconnects every client of the server (a gateway's namespace closes its whole server). With the
   * app's `forceCloseConnections` on a shared HTTP server it returns at once, as Nest's `IoAdapter`
   * does, since socket.io's `close()` would wait for every open HTTP connection the HTTP adapter is
   * about to destroy.
   */
  override async close(server: Server | Namespace): Promise<void> {
    const root = 'server' in server ? server.server : server;
    if (this.forceCloseConnections && root.httpServer === this.httpServer) return void root.engine.close();
    await new Promise<void>((resolve) => void root.close(() => resolve()));
  }

  /** Quits the Redis connections the adapter opened; safe to call more than once. */
  override async dispose(): Promise<void> {
    const redis = this.redis;
    this.redis = undefined;
    this.adapterConstructor = undefined;
    await redis?.quit();
  }

  /**
   * cWS when `engine: 'cws'` has loaded, except on a TLS server (the app's HTTPS server), whose
   * upgrades cWS cannot take over.
   */
  private wsEngineFor(overTls: boolean): WsEngine | undefined {
    if (this.options.engine !== 'cws') return undefined;
    if (!this.wsEngine) {
      this.warnOnce(
        "engine 'cws' is loaded by `await adapter.connectToRedis()` (RedisIoAdapterFactory.create() calls it) before the app listens; without it socket.io runs on ws.",
      );
      return undefined;
    }
    if (overTls && this.wsEngine.loaded) {
      this.warnOnce(
        "engine 'cws' cannot serve WebSockets over the app's HTTPS server, so socket.io runs on ws there; terminate TLS in a proxy, or give the gateways a port of their own, to run on cWS.",
      );
      return undefined;
    }
    return this.wsEngine.loaded;
  }

  private warnOnce(message: string): void {
    if (this.warned.has(message)) return;
    this.warned.add(message);
    this.adapterLogger.warn(message);
  }

  /** Several instances and polling need sticky routing (socket.io#4881): said once, at boot. */
  private warnOnceAboutStickySessions({ transports }: Partial<ServerOptions>): void {
    if (!this.options.redis || (transports && !transports.includes('polling'))) return;
    this.warnOnce(
      'With "redis" (several instances) and the polling transport, a load balancer must send every request of a client ' +
        'to the same instance (sticky sessions), or handshakes fail with "Session ID unknown". Either set RealtimeModule ' +
        "option transports: ['websocket'] (and the same in the clients), or route by cookie or client address. " +
        'README: "Several instances behind a load balancer".',
    );
  }

  private serverOptions(overTls: boolean): Partial<ServerOptions> {
    const { cors, path, transports, pingInterval, pingTimeout, maxHttpBufferSize, recovery } = this.options;
    // The middlewares (the handshake auth) run again on recovery.
    const connectionStateRecovery = recovery
      ? { maxDisconnectionDuration: recovery.maxDisconnectionMs, skipMiddlewares: false }
      : undefined;
    const wsEngine = this.wsEngineFor(overTls);
    const given = { cors, path, transports, pingInterval, pingTimeout, maxHttpBufferSize, connectionStateRecovery, wsEngine };
    return Object.fromEntries(Object.entries(given).filter(([, value]) => value !== undefined));
  }
}
