import { once } from 'node:events';
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import { connect, type Socket } from 'node:net';

/**
 * A load balancer with sticky sessions, as the README asks for polling across instances: a client's
 * first request (the Engine.IO handshake, no `sid`) goes to the next instance in turn, and every later
 * request carrying its `sid` (polling, or the upgrade to WebSocket) to that same instance.
 */
export class StickyProxy {
  private readonly instanceOf = new Map<string, number>();
  private next = 0;

  private constructor(
    private readonly server: Server,
    private readonly ports: number[],
  ) {
    server.on('request', (incoming, outgoing) => this.forward(incoming, outgoing));
    server.on('upgrade', (incoming: IncomingMessage, socket: Socket, head: Buffer) => this.tunnel(incoming, socket, head));
  }

  static async start(ports: number[]): Promise<StickyProxy> {
    const server = createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return new StickyProxy(server, ports);
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as { port: number }).port}`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    this.server.close();
    await once(this.server, 'close');
  }

  private portFor(url = ''): { port: number; sid?: string } {
    const sid = new URL(url, 'http://proxy').searchParams.get('sid') ?? undefined;
    const known = sid === undefined ? undefined : this.instanceOf.get(sid);
    return { port: this.ports[known ?? this.next++ % this.ports.length], sid };
  }

  private forward(incoming: IncomingMessage, outgoing: import('node:http').ServerResponse): void {
    const { port, sid } = this.portFor(incoming.url);
    const upstream = request(
      { host: '127.0.0.1', port, method: incoming.method, path: incoming.url, headers: incoming.headers },
      (response) => {
        outgoing.writeHead(response.statusCode ?? 502, response.headers);
        if (sid !== undefined) return void response.pipe(outgoing);
        // The handshake: learn the session id the instance gave, to send its next requests there too.
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const body = Buffer.concat(chunks);
          const handshake = /"sid":"([^"]+)"/.exec(body.toString());
          if (handshake) this.instanceOf.set(handshake[1], this.ports.indexOf(port));
          outgoing.end(body);
        });
      },
    );
    upstream.on('error', () => outgoing.destroy());
    incoming.pipe(upstream);
  }

  private tunnel(incoming: IncomingMessage, socket: Socket, head: Buffer): void {
    const { port } = this.portFor(incoming.url);
    const upstream = connect(port, '127.0.0.1', () => {
      const headers = [];
      for (let i = 0; i < incoming.rawHeaders.length; i += 2) headers.push(`${incoming.rawHeaders[i]}: ${incoming.rawHeaders[i + 1]}`);
      upstream.write(`${incoming.method} ${incoming.url} HTTP/1.1\r\n${headers.join('\r\n')}\r\n\r\n`);
      upstream.write(head);
      socket.pipe(upstream).pipe(socket);
    });
    upstream.on('error', () => socket.destroy());
    socket.on('error', () => upstream.destroy());
  }
}
