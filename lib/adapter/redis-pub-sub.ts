import { Logger } from '@nestjs/common';
import { Redis, type Cluster } from 'ioredis';
import { RedisConnectionError } from '../errors/redis-connection.error.js';
import type { RealtimeRedisOptions } from '../realtime-options.interface.js';
import { DEFAULT_KEY_PREFIX, REDIS_CONNECT_TIMEOUT_MS } from '../realtime.constants.js';

type RedisClient = Redis | Cluster;

/**
 * The pub and sub connections behind the socket.io Redis adapter. Both are opened by the library
 * (a given `client` is duplicated, never used or closed) and both are quit on {@link quit}.
 */
export class RedisPubSub {
  private readonly logger = new Logger('RedisIoAdapter');
  private outage = false;
  private closing = false;

  private constructor(
    readonly pub: RedisClient,
    readonly sub: RedisClient,
    readonly address: string,
  ) {
    this.guardFireAndForget();
  }

  /** Opens pub and sub and resolves once both are ready; rejects within a few seconds otherwise. */
  static async connect(options: RealtimeRedisOptions, timeoutMs = REDIS_CONNECT_TIMEOUT_MS): Promise<RedisPubSub> {
    const name = options.keyPrefix ?? DEFAULT_KEY_PREFIX;
    const pub = openClient(options, `${name}:pub`);
    const sub = duplicate(pub, `${name}:sub`);
    const address = describeAddress(options);
    try {
      await Promise.all([waitUntilReady(pub, timeoutMs), waitUntilReady(sub, timeoutMs)]);
    } catch (error) {
      pub.disconnect();
      sub.disconnect();
      throw new RedisConnectionError(address, timeoutMs, error as Error);
    }
    const pair = new RedisPubSub(pub, sub, address);
    pair.watch(pub);
    pair.watch(sub);
    return pair;
  }

  /** Quits both connections; a connection that is down is dropped without waiting for Redis. */
  async quit(): Promise<void> {
    this.closing = true;
    await Promise.all([this.pub, this.sub].map((client) => close(client)));
  }

  private watch(client: RedisClient): void {
    client.on('error', (error: Error) => this.reportOutage(error));
    client.on('ready', () => {
      if (!this.outage) return;
      this.outage = false;
      this.logger.log(`Redis at ${this.address} is back; cross-instance messages flow again`);
    });
  }

  private reportOutage(error: Error): void {
    if (this.outage || this.closing) return;
    this.outage = true;
    this.logger.warn(
      `Redis at ${this.address} is unavailable (${error.message}); local clients are still served, ` +
        'cross-instance messages are dropped until it returns',
    );
  }

  /**
   * The socket.io Redis adapter publishes and unsubscribes without handling the returned promise, so
   * a Redis outage would become an unhandled rejection and crash the process. Those calls are
   * fire-and-forget by design: a failure is reported as an outage and the message dropped, never queued
   * to be replayed late.
   */
  private guardFireAndForget(): void {
    const guard = (client: RedisClient, method: 'publish' | 'unsubscribe' | 'punsubscribe'): void => {
      const original = client[method].bind(client) as (...args: unknown[]) => Promise<unknown>;
      (client as unknown as Record<string, unknown>)[method] = (...args: unknown[]) =>
        original(...args).catch((error: Error) => this.reportOutage(error));
    };
    guard(this.pub, 'publish');
    guard(this.sub, 'unsubscribe');
    guard(this.sub, 'punsubscribe');
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
