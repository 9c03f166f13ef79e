/** Thrown when Redis cannot be reached at boot; names the address so the fix is obvious. */
export class RedisConnectionError extends Error {
  constructor(address: string, timeoutMs: number, cause?: Error) {
    const reason = cause ? `: ${cause.message}` : '';
    super(
      `Could not connect to Redis at ${address} within ${timeoutMs} ms${reason}. ` +
        'Check that Redis is running there and that RealtimeModule option "redis" points to it.',
      { cause },
    );
    this.name = 'RedisConnectionError';
  }
}
