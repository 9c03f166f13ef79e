import { once } from 'node:events';
import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP load balancer without stickiness, for WebSocket-only clients (or for Redis, to cut connections): each connection goes to the
 * next backend in turn, or to the one after it when that one refuses (it was killed or is shutting
 * down), so a client whose instance went away reconnects to another, as behind a real balancer.
 */
export class FailoverProxy {
  private next = 0;
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    private backends: number[],
  ) {
    server.on('connection', (client) => this.route(client));
  }

  static async start(backends: number[]): Promise<FailoverProxy> {
    const server = createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return new FailoverProxy(server, backends);
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as { port: number }).port}`;
  }

  /** The instances new connections go to from now on (ports on 127.0.0.1). */
  setBackends(ports: number[]): void {
    this.backends = ports;
  }

  /** Cuts every connection through the proxy, as a network failure would; new ones are still accepted. */
  dropConnections(): void {
    this.sockets.forEach((socket) => socket.destroy());
  }

  async close(): Promise<void> {
    this.sockets.forEach((socket) => socket.destroy());
    this.server.close();
    await once(this.server, 'close');
  }

  private route(client: Socket, attempt = 0): void {
    this.track(client);
    if (attempt >= this.backends.length) return void client.destroy();
    const port = this.backends[this.next++ % this.backends.length];
    const upstream = connect(port, '127.0.0.1');
    upstream.once('error', () => {
      if (!client.destroyed) this.route(client, attempt + 1);
    });
    upstream.once('connect', () => {
      this.track(upstream);
      client.pipe(upstream).pipe(client);
      const close = () => (client.destroy(), upstream.destroy());
      upstream.on('close', close).on('error', close);
      client.on('close', close).on('error', close);
    });
  }

  private track(socket: Socket): void {
    if (this.sockets.has(socket)) return;
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
  }
}
