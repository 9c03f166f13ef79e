/** Thrown when a service is called in an app whose gateways all run on the native `ws` adapter. */
export class SocketIoRequiredError extends Error {
  constructor(operation: string) {
    super(
      `${operation} is a socket.io feature, and this app's gateways run on the native ws adapter (nestjs-realtime/ws), ` +
        'which has no rooms, broadcasting or presence. Serve the gateways that need them with socket.io ' +
        '(`app.useWebSocketAdapter(await app.get(RedisIoAdapterFactory).create(app))`).',
    );
    this.name = 'SocketIoRequiredError';
  }
}
