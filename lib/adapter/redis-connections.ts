import { Logger } from '@nestjs/common';
import { Redis, type Cluster } from 'ioredis';
import { RedisConnectionError } from '../errors/redis-connection.error.js';
import type { RealtimeRedisOptions } from '../realtime-options.interface.js';
import { DEFAULT_KEY_PREFIX, REDIS_CONNECT_TIMEOUT_MS } from '../realtime.constants.js';

export type RedisClient = Redis | Cluster;

/** What the connections are for: their names in `CLIENT LIST` and what an outage means for users. */
export interface RedisConnectionsPurpose {
  /** One connection per name, shown as `<keyPrefix>:<name>` in `CLIENT LIST`. */
  names: string[];
  /** Finishes the outage warning, e.g. 'cross-instance messages are dropped until it returns'. */
  whileDown: string;
}

/**
 * Redis connections the library opens for one purpose (a given `client` is duplicated, never used
 * or closed): ready before use, an outage logged once and its end once, quit on {@link quit}.
 */
export class RedisConnections {
  private readonly logger = new Logger('RealtimeRedis');
  private outage = false;
  private closing = false;

  private constructor(
    readonly clients: RedisClient[],
    private readonly address: string,
    private readonly purpose: RedisConnectionsPurpose,
  ) {
    clients.forEach((client) => this.watch(client));
  }

  /** Opens the connections and resolves once all are ready; rejects within a few seconds otherwise. */
  static async open(options: RealtimeRedisOptions, purpose: RedisConnectionsPurpose, timeoutMs = REDIS_CONNECT_TIMEOUT_MS): Promise<RedisConnections> {
    const prefix = options.keyPrefix ?? DEFAULT_KEY_PREFIX;
    const [first, ...others] = purpose.names.map((name) => `${prefix}:${name}`);
    const clients = [openClient(options, first)];
    others.forEach((name) => clients.push(duplicate(clients[0], name)));
    const address = describeAddress(options);
    try {
      await Promise.all(clients.map((client) => waitUntilReady(client, timeoutMs)));
    } catch (error) {
      clients.forEach((client) => client.disconnect());
      throw new RedisConnectionError(address, timeoutMs, error as Error);
    }
    return new RedisConnections(clients, address, purpose);
  }

  /**
   * Makes calls whose promise the caller drops (the socket.io Redis adapter and emitter publish and
   * unsubscribe that way) report a failure as an outage instead of an unhandled rejection that would
   * crash the process. The message is dropped, never queued to be replayed late.
   */
  guardFireAndForget(client: RedisClient, methods: ('publish' | 'unsubscribe' | 'punsubscribe')[]): void {
    for (const method of methods) {
      const original = client[method].bind(client) as (...args: unknown[]) => Promise<unknown>;
      (client as unknown as Record<string, unknown>)[method] = (...args: unknown[]) =>
        original(...args).catch((error: Error) => this.reportOutage(error));
    }
  }

  /** Quits every connection; one that is down is dropped without waiting for Redis. Safe to call twice. */
  async quit(): Promise<void> {
    this.closing = true;
    await Promise.all(this.clients.map((client) => close(client)));
  }

  private watch(client: RedisClient): void {
    client.on('error', (error: Error) => this.reportOutage(error));
    client.on('ready', () => {
      if (!this.outage) return;
      this.outage = false;
      this.logger.log(`Redis at ${this.address} is back (${this.purpose.names.join(', ')})`);
    });
  }

  private reportOutage(error: Error): void {
    if (this.outage || this.closing) return;
    this.outage = true;
    this.logger.warn(`Redis at ${this.address} is unavailable (${error.message}); ${this.purpose.whileDown}`);
  }
}

function openClient(options: RealtimeRedisOptions, connectionName: string): RedisClient {
  if (options.client) return duplicate(options.client, connectionName);
  return new Redis(options.url as string, { ...CONNECTION_OPTIONS, connectionName, disconnectTimeout: DISCONNECT_TIMEOUT_MS });
}

// Without an offline queue a publish during an outage fails at once (and is dropped) instead of
// piling up in memory and replaying stale broadcasts when Redis returns.
const CONNECTION_OPTIONS = { lazyConnect: true, enableOfflineQueue: false };
// ioredis arms this timer on disconnect() even when the socket is already closed (Redis was down),
// which kept the process alive for its default of 2 s after a failed boot.
const DISCONNECT_TIMEOUT_MS = 100;

function duplicate(client: RedisClient, connectionName: string): RedisClient {
  if (!isCluster(client)) {
    return client.duplicate({ ...CONNECTION_OPTIONS, connectionName, disconnectTimeout: DISCONNECT_TIMEOUT_MS });
  }
  const redisOptions = { ...client.options.redisOptions, connectionName, disconnectTimeout: DISCONNECT_TIMEOUT_MS };
  return client.duplicate([], { ...CONNECTION_OPTIONS, redisOptions });
}

function waitUntilReady(client: RedisClient, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let lastError: Error | undefined;
    const onError = (error: Error) => (lastError = error);
    const finish = (error?: Error) => {
      clearTimeout(timer);
      client.off('error', onError);
      client.off('ready', onReady);
      if (error) reject(error);
      else resolve();
    };
    const onReady = () => finish();
    const timer = setTimeout(() => finish(lastError ?? new Error('no answer')), timeoutMs);
    client.on('error', onError);
    client.once('ready', onReady);
    // A failed first attempt is retried by ioredis until the deadline; its error is kept for the message.
    client.connect().catch(onError);
  });
}

async function close(client: RedisClient): Promise<void> {
  if (client.status !== 'ready') return client.disconnect();
  await client.quit().catch(() => client.disconnect());
}

function describeAddress(options: RealtimeRedisOptions): string {
  if (options.url) return redactPassword(options.url);
  const client = options.client as RedisClient;
  if (isCluster(client)) return `the cluster of ${client.nodes().map(nodeAddress).join(', ') || 'the given startup nodes'}`;
  return nodeAddress(client);
}

function nodeAddress(client: Redis): string {
  return `${client.options.host ?? 'localhost'}:${client.options.port ?? 6379}`;
}

function isCluster(client: RedisClient): client is Cluster {
  return client.isCluster;
}

function redactPassword(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return url;
  }
}

/**
 * {@link RedisConnections} opened on first use rather than at boot (a failed attempt is retried on
 * the next use), for the services that do not need Redis until they are called.
 */
export class LazyRedisConnections {
  private opening?: Promise<RedisConnections>;

  constructor(
    private readonly options: RealtimeRedisOptions,
    private readonly purpose: RedisConnectionsPurpose,
    private readonly prepare: (connections: RedisConnections) => void = () => undefined,
  ) {}

  /** The first connection, opened if need be. */
  async client(): Promise<RedisClient> {
    this.opening ??= RedisConnections.open(this.options, this.purpose).then(
      (connections) => {
        this.prepare(connections);
        return connections;
      },
      (error: Error) => {
        this.opening = undefined;
        throw error;
      },
    );
    return (await this.opening).clients[0];
  }

  /** Quits the connections if they were opened. */
  async quit(): Promise<void> {
    const opening = this.opening;
    this.opening = undefined;
    await (await opening?.catch(() => undefined))?.quit();
  }
}
