import { RedisNotConnectedError } from '../errors/redis-not-connected.error.js';
import { RedisVersionError } from '../errors/redis-version.error.js';
import type { ResolvedRedisOptions } from '../realtime-options.interface.js';
import { describeAddress, RedisConnections, type RedisClient, type RedisConnectionsPurpose } from './redis-connections.js';

/**
 * {@link RedisConnections} opened on first use rather than at boot (a failed attempt is retried on
 * the next use), for the services that do not need Redis until they are called.
 */
export class LazyRedisConnections {
  private opening?: Promise<RedisConnections>;
  private readonly backListeners: (() => void)[] = [];

  constructor(
    private readonly options: ResolvedRedisOptions,
    private readonly purpose: RedisConnectionsPurpose,
    private readonly prepare: (connections: RedisConnections) => void = () => undefined,
  ) {}

  /** The first connection, opened if need be; rejects with `RedisNotConnectedError` while Redis is down. */
  async client(): Promise<RedisClient> {
    return (await this.connections()).clients[0];
  }

  /** The connections, opened if need be; rejects with `RedisNotConnectedError` while Redis is down. */
  async connections(): Promise<RedisConnections> {
    const connections = await this.open();
    if (!connections.ready) throw connections.notConnected();
    return connections;
  }

  /** The connections, opened if need be, ready or not (for a caller that waits for Redis itself). */
  opened(): Promise<RedisConnections> {
    return this.open();
  }

  /** Runs commands on the first connection; a failure because Redis went down is a `RedisNotConnectedError`. */
  async run<T>(commands: (client: RedisClient) => Promise<T>): Promise<T> {
    const client = await this.client();
    try {
      return await commands(client);
    } catch (error) {
      const connections = await this.open();
      throw connections.ready ? error : connections.notConnected(error as Error);
    }
  }

  /** Runs `listener` each time Redis is ready again after an outage of the opened connections. */
  onBack(listener: () => void): void {
    this.backListeners.push(listener);
  }

  private open(): Promise<RedisConnections> {
    this.opening ??= RedisConnections.open(this.options, this.purpose).then(
      (connections) => {
        this.prepare(connections);
        connections.onBack(() => this.backListeners.forEach((listener) => listener()));
        return connections;
      },
      (error: Error) => {
        this.opening = undefined;
        if (error instanceof RedisVersionError) throw error; // not temporary: the message says what to change
        throw new RedisNotConnectedError({ address: describeAddress(this.options), purpose: this.purpose.names.join(', ') }, error);
      },
    );
    return this.opening;
  }

  /** Quits the connections if they were opened. */
  async quit(): Promise<void> {
    const opening = this.opening;
    this.opening = undefined;
    await (await opening?.catch(() => undefined))?.quit();
  }
}
