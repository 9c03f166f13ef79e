/** Thrown when an operation needs this process to serve sockets and it does not (yet). */
export class NoSocketServerError extends Error {
  constructor(operation: string) {
    super(
      `${operation} needs a socket server in this process, and there is none: set ` +
        '`app.useWebSocketAdapter(await app.get(RedisIoAdapterFactory).create(app))` before `app.listen()`, ' +
        'or call it from an instance that serves sockets.',
    );
    this.name = 'NoSocketServerError';
  }
}
