import { Logger, type INestApplicationContext } from '@nestjs/common';
import type { MessageMappingProperties } from '@nestjs/websockets';
import type { Observable } from 'rxjs';
import { IoAdapter } from '@nestjs/platform-socket.io';
import type { Namespace, Server, ServerOptions, Socket } from 'socket.io';
import type { Ack } from '../errors/client-reply.js';
import { RedisNotConnectedError } from '../errors/redis-not-connected.error.js';
import { engineFor } from '../engines/engine-for.js';
import type { AdapterConstructor } from '../engines/realtime-engine.interface.js';
import type { RealtimeModuleOptions, ResolvedRealtimeOptions } from '../realtime-options.interface.js';
import { resolveRealtimeOptions } from '../realtime-options.resolve.js';
import { MessageDispatcher } from './message-dispatcher.js';
import { setUpConnections } from '../connection/connection-setup.js';
import { RealtimeServerRegistry } from '../realtime-server.registry.js';
import { RedisConnections } from '../redis/redis-connections.js';

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
  private readonly dispatcher = new MessageDispatcher(this.adapterLogger);
  private readonly registry?: RealtimeServerRegistry;
  private redis?: RedisConnections;
  private adapterConstructor?: AdapterConstructor;

  /**
   * @param appOrHttpServer the Nest app (whose `RealtimeModule`, if imported, then sees every server
   * this adapter creates) or an HTTP server.
   */
  constructor(appOrHttpServer?: INestApplicationContext | object, options: RealtimeModuleOptions = {}) {
    super(appOrHttpServer);
    this.options = resolveRealtimeOptions(options);
    this.registry = registryOf(appOrHttpServer);
  }

  /** Connects pub and sub; resolves once both are ready, rejects with an error naming the URL otherwise. */
  async connectToRedis(): Promise<void> {
    const redis = this.options.redis;
    if (!redis || this.redis) return;
    const engine = engineFor(redis);
    this.redis = await RedisConnections.open(redis, {
      names: engine.adapterConnections,
      whileDown: 'local clients are still served, cross-instance messages are dropped until it returns',
    });
    this.adapterConstructor = engine.createAdapter(this.redis, redis);
  }

  /**
   * Creates the socket.io server, set up as `setUpConnections` says on every namespace; a gateway's
   * own options win over the module's, its own `adapter` included.
   */
  override createIOServer(port: number, options?: ServerOptions): Server {
    if (this.options.redis && !this.adapterConstructor) throw new RedisNotConnectedError();
    if (options?.adapter && this.adapterConstructor) {
      this.adapterLogger.warn(
        'A gateway sets its own socket.io "adapter": its server uses it instead of the Redis adapter of RealtimeModule.',
      );
    }
    const server: Server = super.createIOServer(port, {
      ...this.serverOptions(),
      ...options,
      adapter: options?.adapter ?? this.adapterConstructor,
    } as ServerOptions);
    setUpConnections(server, this.options, { registry: this.registry, redis: this.redis });
    return server;
  }

  /**
   * Binds a gateway's handlers to a socket with one dispatcher instead of an rxjs chain per handler;
   * guards, pipes, interceptors, filters and responses behave as with Nest's own binding.
   */
  override bindMessageHandlers(
    socket: Socket,
    handlers: MessageMappingProperties[],
    transform: (data: unknown) => Observable<unknown>,
  ): void {
    this.dispatcher.bind(socket, handlers, {
      transform,
      mapPayload: (payload) => this.mapPayload(payload) as { data?: unknown; ack?: Ack },
    });
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

  private serverOptions(): Partial<ServerOptions> {
    const { cors, path, transports, pingInterval, pingTimeout, maxHttpBufferSize } = this.options;
    const given = { cors, path, transports, pingInterval, pingTimeout, maxHttpBufferSize };
    return Object.fromEntries(Object.entries(given).filter(([, value]) => value !== undefined));
  }
}

/** The registry of the app's `RealtimeModule`, through which its services see the servers; none when wired by hand. */
function registryOf(appOrHttpServer: unknown): RealtimeServerRegistry | undefined {
  const app = appOrHttpServer as Partial<INestApplicationContext> | undefined;
  if (typeof app?.get !== 'function') return undefined;
  try {
    return app.get(RealtimeServerRegistry, { strict: false });
  } catch {
    return undefined; // the app does not import RealtimeModule: nothing to tell
  }
}
