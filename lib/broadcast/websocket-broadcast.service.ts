import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { RealtimeServerRegistry } from '../realtime-server.registry.js';
import { engineFor } from '../engines/engine-for.js';
import type { Broadcaster } from '../engines/realtime-engine.interface.js';
import { LazyRedisConnections } from '../redis/lazy-redis-connections.js';
import { NoSocketServerError } from '../errors/no-socket-server.error.js';
import type { ResolvedRealtimeOptions } from '../realtime-options.interface.js';
import { requireName, requireNameList, requireNames } from '../service-arguments.js';
import { telemetry } from '../observability/realtime-telemetry.js';
import { DEFAULT_REQUESTS_TIMEOUT_MS, REALTIME_OPTIONS, userRoom } from '../realtime.constants.js';

/** Where and to whom a message goes. */
export interface BroadcastOptions {
  /**
   * @default '/'
   */
  namespace?: string;
  /** Socket ids or room names to leave out, e.g. `except: client.id` for the sender. */
  except?: string | string[];
}

/**
 * Sends events to clients on every instance, from anywhere in the app: controllers, event handlers,
 * providers built before any gateway, and processes that serve no sockets at all (queue workers
 * sharing the Redis, through the engine's publisher).
 */
@Injectable()
export class WebsocketBroadcastService implements OnApplicationShutdown {
  private readonly logger = new Logger(WebsocketBroadcastService.name);
  private readonly publisher?: LazyRedisConnections;

  constructor(
    @Inject(REALTIME_OPTIONS) private readonly options: ResolvedRealtimeOptions,
    private readonly registry: RealtimeServerRegistry,
  ) {
    if (!options.redis) return;
    const purpose = engineFor(options.redis, options.recovery).publisherConnections;
    this.publisher = new LazyRedisConnections(options.redis, purpose, (connections) => registry.trackRedis(connections));
  }

  /** To every client of the namespace. */
  async broadcast(event: string, data: unknown, opts: BroadcastOptions = {}): Promise<void> {
    requireName(event, 'WebsocketBroadcastService.broadcast()', 'event');
    return this.send(opts, 'all', (to) => to.emit(event, data));
  }

  /** To every socket of the user, on every instance. */
  async sendToUser(userId: string, event: string, data: unknown, opts: BroadcastOptions = {}): Promise<void> {
    requireName(userId, 'WebsocketBroadcastService.sendToUser()', 'userId');
    requireName(event, 'WebsocketBroadcastService.sendToUser()', 'event');
    return this.send(opts, 'user', (to) => to.to(userRoom(userId)).emit(event, data));
  }

  /** To every socket of each user, each socket once. */
  async sendToUsers(userIds: string[], event: string, data: unknown, opts: BroadcastOptions = {}): Promise<void> {
    requireNameList(userIds, 'WebsocketBroadcastService.sendToUsers()', 'userIds');
    requireName(event, 'WebsocketBroadcastService.sendToUsers()', 'event');
    if (userIds.length) return this.send(opts, 'user', (to) => to.to(userIds.map(userRoom)).emit(event, data));
  }

  /** To every socket in the room(s), each socket once. */
  async sendToRoom(room: string | string[], event: string, data: unknown, opts: BroadcastOptions = {}): Promise<void> {
    requireNames(room, 'WebsocketBroadcastService.sendToRoom()', 'room');
    requireName(event, 'WebsocketBroadcastService.sendToRoom()', 'event');
    return this.send(opts, 'room', (to) => to.to(room).emit(event, data));
  }

  /**
   * Asks every socket of the user and resolves with the acknowledgements that came within the
   * timeout: a tab that does not answer is left out rather than failing the whole request.
   */
  async requestFromUser(
    userId: string,
    event: string,
    data: unknown,
    opts: { timeoutMs?: number; namespace?: string } = {},
  ): Promise<unknown[]> {
    requireName(userId, 'WebsocketBroadcastService.requestFromUser()', 'userId');
    requireName(event, 'WebsocketBroadcastService.requestFromUser()', 'event');
    const namespace = this.registry.namespaceNamed(opts.namespace ?? this.options.namespace, 'WebsocketBroadcastService.requestFromUser()');
    if (!namespace) throw new NoSocketServerError('requestFromUser()');
    const timeoutMs = opts.timeoutMs ?? this.options.redis?.requestsTimeout ?? DEFAULT_REQUESTS_TIMEOUT_MS;
    return new Promise((resolve) => {
      namespace
        .to(userRoom(userId))
        .timeout(timeoutMs)
        .emit(event, data, (timedOut: Error | null, acks: unknown[]) => {
          telemetry.add('clusterRequests', { 'realtime.kind': 'requestFromUser', 'realtime.outcome': timedOut ? 'timeout' : 'ok' });
          resolve(acks ?? []);
        });
    });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.publisher?.quit();
  }

  /**
   * Emits through the namespace on the server whose gateway serves it when there is one, without an
   * await: the message is handed to socket.io within the call (a loop of `sendToUser` calls then costs
   * about what `io.to(room).emit()` does). A process with no socket server goes through the engine's
   * publisher. A namespace no gateway serves is refused (`UnknownNamespaceError`).
   */
  private async send(
    { namespace = this.options.namespace, except }: BroadcastOptions,
    kind: 'all' | 'room' | 'user',
    emit: (to: Broadcaster) => void,
  ): Promise<void> {
    // guarded: a send is a hot path, and its attributes would be made for nothing without an SDK
    if (telemetry.enabled) telemetry.add('broadcasts', { 'realtime.namespace': namespace, 'realtime.kind': kind });
    const base =
      (this.registry.namespaceNamed(namespace, 'WebsocketBroadcastService') as Broadcaster | undefined) ??
      (await this.emitterNamespace(namespace));
    if (base) emit(except ? base.except(except) : base);
  }

  private async emitterNamespace(namespace: string): Promise<Broadcaster | undefined> {
    if (!this.publisher) {
      this.logger.debug('No socket server yet and no Redis: there is no client to send to');
      return undefined;
    }
    const redis = this.options.redis!;
    // With recovery, what is sent while Redis is down waits in the engine's buffer rather than failing.
    const connections = this.options.recovery ? await this.publisher.opened() : await this.publisher.connections();
    return engineFor(redis, this.options.recovery).publisher(connections, redis, namespace);
  }
}
