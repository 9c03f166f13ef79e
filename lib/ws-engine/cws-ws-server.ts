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

// The first byte of a WebSocket frame header ends with its opcode.
const OPCODE_MASK = 0x0f;
const OPCODE_BINARY = 0x02;

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

  /**
   * engine.io sends a broadcast through `_sender.sendFrame()` when its socket has one: socket.io's adapter
   * frames the packet once for every socket with ws's `Sender.frame()`, `[header, payload]`. cWS frames
   * by itself, so only the payload goes, as is: no encoding per socket. The socket is its own sender, so
   * that an idle connection costs no more.
   */
  get _sender(): this {
    return this;
  }

  sendFrame([header, payload]: [Buffer, Buffer], done?: SendDone): void {
    this.socket.send(payload, { binary: (header[0] & OPCODE_MASK) === OPCODE_BINARY }, done);
  }

  close(code?: number, reason?: string): void {
    this.socket.close(code, reason);
  }

  terminate(): void {
    this.socket.terminate();
  }
}
