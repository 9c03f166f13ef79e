/** Thrown when a socket server is created before `RedisIoAdapter.connectToRedis()` finished. */
export class RedisNotConnectedError extends Error {
  constructor() {
    super(
      'RedisIoAdapter has Redis options but is not connected yet. ' +
        'Use `await app.get(RedisIoAdapterFactory).create(app)`, or `await adapter.connectToRedis()` ' +
        'before `app.useWebSocketAdapter(adapter)`.',
    );
    this.name = 'RedisNotConnectedError';
  }
}
