import { Logger } from '@nestjs/common';
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import { RedisConnectionError } from '../errors/redis-connection.error.js';
import { RedisNotConnectedError } from '../errors/redis-not-connected.error.js';
import { RedisVersionError } from '../errors/redis-version.error.js';
import { failureReportingView } from './failure-reporting-view.js';
import { resubscribingView, SUBSCRIPTION_METHODS } from './resubscribing-view.js';
import { telemetry } from '../observability/realtime-telemetry.js';
import type { ResolvedRedisOptions } from '../realtime-options.interface.js';
import { REDIS_CONNECT_TIMEOUT_MS } from '../realtime.constants.js';

export type RedisClient = Redis | Cluster;

/** What the connections are for: their names in `CLIENT LIST` and what an outage means for users. */
export interface RedisConnectionsPurpose {
  /** One connection per name, shown as `<keyPrefix>:<name>` in `CLIENT LIST`. */
  names: string[];
  /** Finishes the outage warning, e.g. 'cross-instance messages are dropped until it returns'. */
  whileDown: string;
  /** Commands issued in the same tick share one write (ioredis auto-pipelining): for bursts of small writes. */
  autoPipelining?: boolean;
  /**
   * Names of connections that run blocking reads (`XREAD BLOCK`) in a loop: their commands wait for
   * Redis to return instead of failing at once (a failing read retried at once would spin), and they
   * are closed without waiting for the read in progress.
   */
  blocking?: string[];
  /** Sharded pub/sub (SPUBLISH, SSUBSCRIBE): Redis must be 7 or later, checked when they open. */
  sharded?: {
    /** Names of the connections that SSUBSCRIBE: on a Cluster, one subscriber connection per master. */
    subscribers: string[];
  };
}

/** What a health check reports of one purpose's connections. */
export interface RedisConnectionsState {
  /** Their names, e.g. 'pub, sub' or 'presence'. */
  connections: string;
  /** Where Redis is, its password hidden. */
  address: string;
  ready: boolean;
  /** When the outage began (ISO 8601), while there is one. */
  downSince?: string;
}

/**
 * Redis connections the library opens for one purpose (a given `client` is duplicated, never used
 * or closed): ready before use, an outage logged once and its end once, quit on {@link quit}.
 */
export class RedisConnections {
  private readonly logger = new Logger('RealtimeRedis');
  private readonly backListeners: (() => void)[] = [];
  private readonly quitListeners: (() => void)[] = [];
  private downSince?: Date;
  private closing = false;

  private constructor(
    readonly clients: RedisClient[],
    private readonly address: string,
    private readonly purpose: RedisConnectionsPurpose,
  ) {
    clients.forEach((client) => this.watch(client));
    telemetry.trackRedis(this);
  }

  /** Opens the connections and resolves once all are ready; rejects within a few seconds otherwise. */
  static async open(
    options: ResolvedRedisOptions,
    purpose: RedisConnectionsPurpose,
    timeoutMs = REDIS_CONNECT_TIMEOUT_MS,
  ): Promise<RedisConnections> {
    const [first, ...others] = purpose.names;
    // ioredis routes an auto-pipelined EVALSHA on a Cluster by its script hash instead of its first key,
    // and rejects the batch ("All keys in the pipeline should belong to the same slots allocation
    // group", ioredis#2109): no auto-pipelining on a Cluster.
    const onCluster = options.nodes !== undefined || (options.client !== undefined && isCluster(options.client));
    const settings = (name: string): ConnectionSettings => ({
      connectionName: `${options.keyPrefix}:${name}`,
      enableAutoPipelining: (purpose.autoPipelining ?? false) && !onCluster,
      enableOfflineQueue: purpose.blocking?.includes(name) ?? false,
      shardedSubscribers: purpose.sharded?.subscribers.includes(name) ?? false,
    });
    const clients = [openClient(options, settings(first))];
    others.forEach((name) => clients.push(duplicate(clients[0], settings(name))));
    const address = describeAddress(options);
    try {
      await Promise.all(clients.map((client) => waitUntilReady(client, timeoutMs)));
      await Promise.all(clients.filter(isCluster).map(connectMastersEagerly));
    } catch (error) {
      clients.forEach((client) => client.disconnect());
      throw new RedisConnectionError(address, timeoutMs, error as Error);
    }
    try {
      if (purpose.sharded) await requireShardedPubSub(clients[0], address);
    } catch (error) {
      clients.forEach((client) => client.disconnect());
      throw error;
    }
    return new RedisConnections(clients, address, purpose);
  }

  /**
   * A view of one of the connections for a library that drops the promises of `methods` (the socket.io
   * Redis adapter and emitter publish that way): a failure is reported as an outage instead of an
   * unhandled rejection that would crash the process. The message is dropped, never replayed late.
   */
  reportingFailuresOf<T extends RedisClient>(client: T, methods: readonly string[]): T {
    return failureReportingView(client, methods, (error) => this.reportOutage(error));
  }

  /**
   * A view of a subscriber connection for a socket.io adapter, which drops the promises of its
   * (un)subscribe calls: a failure is reported as an outage, and a call that failed is made again once
   * Redis is back (see `resubscribingView`).
   */
  subscriberView<T extends RedisClient>(client: T): T {
    const resubscribing = resubscribingView(client);
    const view = this.reportingFailuresOf(resubscribing.view, SUBSCRIPTION_METHODS);
    this.onBack(() => resubscribing.redoFailed(view));
    return view;
  }

  /** Whether every connection is ready to take commands now. */
  get ready(): boolean {
    return this.clients.every((client) => client.status === 'ready');
  }

  /** For a health check: what the connections serve, where, whether they are ready, and since when they are down. */
  get state(): RedisConnectionsState {
    const state = { connections: this.purpose.names.join(', '), address: this.address, ready: this.ready };
    return this.downSince ? { ...state, downSince: this.downSince.toISOString() } : state;
  }

  /** The error for a call that needs these connections while they are down. */
  notConnected(cause?: Error): RedisNotConnectedError {
    return new RedisNotConnectedError({ address: this.address, purpose: this.purpose.names.join(', ') }, cause);
  }

  /** Runs `listener` each time Redis is ready again after an outage. */
  onBack(listener: () => void): void {
    this.backListeners.push(listener);
  }

  /** Runs `listener` when the connections are being quit, before they close. */
  onQuit(listener: () => void): void {
    this.quitListeners.push(listener);
  }

  /** Quits every connection; one that is down (or blocking) is dropped without waiting for Redis. Safe to call twice. */
  async quit(): Promise<void> {
    if (!this.closing) this.quitListeners.forEach((listener) => listener());
    this.closing = true;
    telemetry.untrackRedis(this);
    await Promise.all(
      this.clients.map(async (client, i) => (this.purpose.blocking?.includes(this.purpose.names[i]) ? client.disconnect() : close(client))),
    );
  }

  private watch(client: RedisClient): void {
    client.on('error', (error: Error) => this.reportOutage(error));
    // A Redis restarted faster than the first retry raises no error, only a closed connection.
    client.on('close', () => this.reportOutage(new Error('connection closed')));
    client.on('ready', () => {
      // back once every connection is: a listener may use any of them, and a health check needs all
      if (!this.downSince || !this.ready) return;
      this.downSince = undefined;
      this.logger.log(`Redis at ${this.address} is back (${this.purpose.names.join(', ')})`);
      telemetry.add('redisReconnects', { 'realtime.connections': this.purpose.names.join(', ') });
      this.backListeners.forEach((listener) => listener());
    });
  }

  private reportOutage(error: Error): void {
    if (this.downSince || this.closing) return;
    this.downSince = new Date();
    this.logger.warn(`Redis at ${this.address} is unavailable (${error.message}); ${this.purpose.whileDown}`);
  }
}

type ConnectionSettings = {
  connectionName: string;
  enableAutoPipelining: boolean;
  enableOfflineQueue: boolean;
  /** On a Cluster: a subscriber connection per master, for SSUBSCRIBE (ignored by a standalone connection). */
  shardedSubscribers: boolean;
};

function openClient(options: ResolvedRedisOptions, settings: ConnectionSettings): RedisClient {
  if (options.client) return duplicate(options.client, settings);
  if (options.nodes) return new Cluster(options.nodes, clusterOptions(settings));
  return new Redis(options.url as string, standaloneOptions(settings));
}

// Nothing is kept to be sent late: without an offline queue (unless `blocking`) a command during an
// outage fails at once, and with no retries per request a command in flight when the connection drops
// fails then, where ioredis would by default resend it after reconnecting (a publish delivered seconds late).
const CONNECTION_OPTIONS = { lazyConnect: true };
const NODE_OPTIONS = { maxRetriesPerRequest: 0, retryStrategy: reconnectDelay };

/** Retries soon after Redis is back (ioredis waits up to 2 s by default): presence is restored within a second. */
function reconnectDelay(attempt: number): number {
  return Math.min(attempt * 50, 500);
}
// ioredis arms this timer on disconnect() even when the socket is already closed (Redis was down),
// which kept the process alive for its default of 2 s after a failed boot.
const DISCONNECT_TIMEOUT_MS = 100;

function duplicate(client: RedisClient, settings: ConnectionSettings): RedisClient {
  if (isCluster(client)) return client.duplicate([], clusterOptions(settings, client.options.redisOptions));
  return client.duplicate(standaloneOptions(settings));
}

/** A standalone connection's options (it subscribes to sharded channels itself: no `shardedSubscribers`). */
function standaloneOptions({ shardedSubscribers: _onClustersOnly, ...settings }: ConnectionSettings): RedisOptions {
  return { ...CONNECTION_OPTIONS, ...NODE_OPTIONS, ...settings, disconnectTimeout: DISCONNECT_TIMEOUT_MS };
}

/** A Cluster connection's options, on the node options of the Cluster it duplicates, if any. */
function clusterOptions({ connectionName, ...settings }: ConnectionSettings, redisOptions: RedisOptions = {}): ClusterOptions {
  const nodeOptions = { ...redisOptions, maxRetriesPerRequest: 0, connectionName, disconnectTimeout: DISCONNECT_TIMEOUT_MS };
  return { ...CONNECTION_OPTIONS, ...settings, redisOptions: nodeOptions };
}

/**
 * Connects to every master of a Cluster now, and to each new one as it joins. ioredis connects to a
 * node on its first command and, with the offline queue off, refuses the commands sent to that node
 * while it connects; it sends them again 100 ms later (`retryDelayOnFailover`), after the commands that
 * followed them: a presence entry removed before it was added, and never removed.
 */
async function connectMastersEagerly(cluster: Cluster): Promise<void> {
  const connect = async (node: Redis) => {
    if (node.status === 'wait') await node.connect();
  };
  cluster.on('+node', (node: Redis) => {
    if (cluster.nodes('master').includes(node)) connect(node).catch(() => undefined); // an outage is reported by the Cluster
  });
  await Promise.all(cluster.nodes('master').map(connect));
}

/** Refuses a Redis without sharded pub/sub (before 7.0); on a Cluster, every master is asked. */
async function requireShardedPubSub(client: RedisClient, address: string): Promise<void> {
  const servers = isCluster(client) ? client.nodes('master') : [client];
  for (const info of await Promise.all(servers.map((server) => server.info('server')))) {
    const [, version = 'of an unknown version', major = '0'] = /redis_version:((\d+)[\d.]*)/.exec(info) ?? [];
    if (Number(major) < 7) throw new RedisVersionError(address, version);
  }
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

/** Where Redis is, its password hidden: for logs and errors. */
export function describeAddress(options: ResolvedRedisOptions): string {
  if (options.url) return redactPassword(options.url);
  if (options.nodes) return `the cluster of ${options.nodes.map(({ host, port }) => `${host}:${port}`).join(', ')}`;
  const client = options.client as RedisClient;
  if (isCluster(client)) return `the cluster of ${client.nodes().map(nodeAddress).join(', ') || 'the given startup nodes'}`;
  return nodeAddress(client);
}

function nodeAddress(client: Redis): string {
  return `${client.options.host ?? 'localhost'}:${client.options.port ?? 6379}`;
}

export function isCluster(client: RedisClient): client is Cluster {
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
