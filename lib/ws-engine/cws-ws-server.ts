import { EventEmitter } from 'node:events';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';

/** What the library uses of `@encharm/cws` (its own types are not needed to build against it). */
export interface CwsModule {
  WebSocketServer: new (options: { noServer: true; maxPayload?: number; perMessageDeflate?: boolean }) => CwsServer;
}

interface CwsServer {
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, done: (socket: CwsSocket) => void): void;
  close(done?: () => void): void;
}

interface CwsSocket {
  // cWS keeps one listener per event: the facade below registers one and fans out.
  on(event: 'message', listener: (message: string | ArrayBuffer) => void): void;
  on(event: 'close', listener: (code: number, reason: string) => void): void;
  on(event: 'error', listener: (error: Error) => void): void;
  send(message: string | Buffer, options?: { binary?: boolean }, done?: SendDone): void;
  close(code?: number, reason?: string): void;
  terminate(): void;
  readonly _socket: { remoteAddress?: string; remotePort?: number; remoteFamily?: string };
}

/** What engine.io's `wsEngine` constructor is given. */
interface WsEngineOptions {
  maxPayload?: number;
  perMessageDeflate?: boolean | object;
}

/**
 * engine.io's `wsEngine` on cWS (`@encharm/cws`, a native WebSocket server): the part of the `ws`
 * server and socket API that engine.io calls. engine.io adds its `headers` event hook only when the
 * server has an `on` method, so this one has none: socket.io's `cookie` option and `io.engine`'s
 * `headers` events do not reach WebSocket upgrades on this engine.
 */
export function cwsWsServer(cws: CwsModule): new (options: WsEngineOptions) => object {
  return class CwsWsServer {
    private readonly server: CwsServer;

    constructor({ maxPayload, perMessageDeflate }: WsEngineOptions) {
      this.server = new cws.WebSocketServer({ noServer: true, maxPayload, perMessageDeflate: Boolean(perMessageDeflate) });
    }

    handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, done: (socket: CwsWebSocket) => void): void {
      this.server.handleUpgrade(req, socket, head, (upgraded) => done(new CwsWebSocket(upgraded)));
    }

    close(done?: () => void): void {
      this.server.close(done);
    }
  };
}

type SendDone = (error?: Error) => void;

/** A cWS socket as engine.io uses a `ws` one: `message` with `isBinary`, `send(data, callback)`. */
class CwsWebSocket extends EventEmitter {
  constructor(private readonly socket: CwsSocket) {
    super();
    // A binary message's memory is cWS's own and reused after this call: copied.
    socket.on('message', (message) =>
      typeof message === 'string' ? this.emit('message', message, false) : this.emit('message', Buffer.from(new Uint8Array(message)), true),
    );
    socket.on('close', (code, reason) => this.emit('close', code, reason));
    socket.on('error', (error) => this.emit('error', error));
  }

  get _socket(): CwsSocket['_socket'] {
    return this.socket._socket;
  }

  send(data: string | Buffer, optionsOrDone?: object | SendDone, done?: SendDone): void {
    const callback = typeof optionsOrDone === 'function' ? (optionsOrDone as SendDone) : done;
    this.socket.send(data, typeof data === 'string' ? undefined : { binary: true }, callback);
  }

  close(code?: number, reason?: string): void {
    this.socket.close(code, reason);
  }

  terminate(): void {
    this.socket.terminate();
  }
}
