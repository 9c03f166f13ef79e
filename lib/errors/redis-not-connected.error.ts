/** Where Redis is down and what needed it; without it, the error is about an adapter not yet connected. */
export interface RedisDownDetail {
  /** Redis's address, its password hidden. */
  address: string;
  /** What the connection serves, e.g. 'presence'. */
  purpose: string;
}

/**
 * Thrown by a service call that needs Redis while the connection is down (temporary: the library
 * reconnects by itself), or when a socket server is created before `RedisIoAdapter.connectToRedis()`.
 */
export class RedisNotConnectedError extends Error {
  constructor(down?: RedisDownDetail, cause?: Error) {
    super(down ? whileDown(down) : BEFORE_CONNECT, { cause });
    this.name = 'RedisNotConnectedError';
  }
}

const BEFORE_CONNECT =
  'RedisIoAdapter has Redis options but is not connected yet. ' +
  'Use `await app.get(RedisIoAdapterFactory).create(app)`, or `await adapter.connectToRedis()` ' +
  'before `app.useWebSocketAdapter(adapter)`.';

function whileDown({ address, purpose }: RedisDownDetail): string {
  return (
    `Redis at ${address} is not connected right now (${purpose}); this is temporary, the connection is retried by itself. ` +
    'Retry the call later, or answer 503 Service Unavailable.'
  );
}
