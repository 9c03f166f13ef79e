import { Logger, type INestApplicationContext } from '@nestjs/common';
import { WsAdapter } from '@nestjs/platform-ws';
import type { MessageMappingProperties } from '@nestjs/websockets';
import type { IncomingMessage } from 'node:http';
import { EMPTY, type Observable } from 'rxjs';
import type { WebSocket, WebSocketServer } from 'ws';
import { HandshakeRefusalError } from '../auth/handshake-refusal.error.js';
import { JwtVerifier } from '../auth/jwt-verifier.js';
import type { RealtimeSocketData } from '../auth/realtime-socket-data.js';
import { clientError } from '../errors/client-error.js';
import { sendFrame } from '../errors/client-reply.js';
import { guardCallback } from '../errors/guard-callback.js';
import { RATE_LIMITED } from '../rate-limit/socket-rate-limiter.js';
import { TokenBucket } from '../rate-limit/token-bucket.js';
import { RealtimeServerRegistry } from '../realtime-server.registry.js';
import type { RealtimeModuleOptions, ResolvedRealtimeOptions } from '../realtime-options.interface.js';
import { resolveRealtimeOptions } from '../realtime-options.resolve.js';
import { REALTIME_OPTIONS } from '../realtime.constants.js';
import { providedByApp } from '../provided-by-app.js';
import { handshakeToken, selectBearerProtocol } from './ws-handshake-token.js';
import { telemetry } from '../observability/realtime-telemetry.js';

/** A client of a native `ws` gateway, with what the handshake found (`@WsUser()` and `@WsAuth()` read it). */
export type RealtimeWebSocket = WebSocket & { data: RealtimeSocketData };

/** socket.io's default `maxHttpBufferSize`, the frame size limit unless `maxHttpBufferSize` says otherwise. */
const DEFAULT_MAX_PAYLOAD = 1_000_000;
/** Close codes: 4401 for a refused handshake or an expired token (as HTTP 401), 1008 for a flood. */
const CLOSE_UNAUTHORIZED = 4401;
const CLOSE_POLICY_VIOLATION = 1008;

/**
 * `@nestjs/platform-ws`'s `WsAdapter` with the module's handshake JWT, flood control, frame size limit
 * and error frames. A refused handshake gets the frame `{ "event": "exception", "data": { status,
 * code, message } }` and the close code 4401; errors of handlers (with `RealtimeExceptionFilter`,
 * which `@WsAuth()` applies) come as `exception` frames naming the `event`.
 * @example app.useWebSocketAdapter(new RealtimeWsAdapter(app));
 */
export class RealtimeWsAdapter extends WsAdapter {
  private readonly options: ResolvedRealtimeOptions;
  private readonly verifier?: JwtVerifier;
  private readonly buckets = new WeakMap<WebSocket, { bucket: TokenBucket; told: boolean }>();
  private readonly wsLogger = new Logger(RealtimeWsAdapter.name);

  /**
   * @param app the Nest app: its `RealtimeModule` options apply, and its services know that its
   * gateways run on ws. Or an HTTP server, with `options`.
   * @param options instead of the module's (`auth`, `rateLimit`, `maxHttpBufferSize` are used here).
   */
  constructor(app?: INestApplicationContext | object, options?: RealtimeModuleOptions) {
    super(app);
    this.options = resolveRealtimeOptions(options ?? providedByApp(app, REALTIME_OPTIONS) ?? {});
    if (this.options.auth) this.verifier = new JwtVerifier(this.options.auth);
    providedByApp(app, RealtimeServerRegistry)?.serveNativeWs();
  }

  /** As `WsAdapter`, with the frame size limit and the `bearer` subprotocol; a gateway's own options win. */
  override create(port: number, options: Record<string, unknown> = {}): WebSocketServer {
    const limits = { maxPayload: this.options.maxHttpBufferSize ?? DEFAULT_MAX_PAYLOAD, handleProtocols: selectBearerProtocol };
    return super.create(port, { ...limits, ...options }) as WebSocketServer;
  }

  /** Runs the handshake auth before Nest sees the client: a refused one never reaches `handleConnection`. */
  override bindClientConnect(server: WebSocketServer, callback: (client: WebSocket, request: IncomingMessage) => void): void {
    server.on(
      'connection',
      guardCallback(this.wsLogger, 'Handshake auth (ws)', (client: WebSocket, request: IncomingMessage) => {
        client.pause(); // what it sends meanwhile waits for the gateway's handlers
        void this.authenticate(client as RealtimeWebSocket, request).then((accepted) => {
          if (!accepted) return;
          callback(client, request);
          client.resume();
        });
      }),
    );
  }

  /** Each message first passes flood control; one over the limit is answered `RATE_LIMITED` (once per burst). */
  override bindMessageHandler(
    message: { target: WebSocket; data: unknown },
    handlers: Map<string, MessageMappingProperties> | MessageMappingProperties[],
    transform: (data: unknown) => Observable<unknown>,
  ): Observable<unknown> {
    return this.allows(message) ? super.bindMessageHandler(message, handlers as never, transform) : EMPTY;
  }

  private async authenticate(client: RealtimeWebSocket, request: IncomingMessage): Promise<boolean> {
    client.data = {};
    if (!this.verifier) return true;
    try {
      const token = handshakeToken(request);
      if (token === undefined) {
        if (this.options.auth?.required === false) return true;
        throw new HandshakeRefusalError('TOKEN_MISSING');
      }
      const { payload, user, userId } = await this.verifier.authenticate(token);
      client.data = { user, userId };
      this.closeWhenExpired(client, payload.exp);
      return true;
    } catch (error) {
      const code = error instanceof HandshakeRefusalError ? error.data.code : 'USER_REJECTED';
      this.refuse(client, code);
      return false;
    }
  }

  /** Without a refresh protocol on ws, a connection ends when its token expires (after `clockTolerance`). */
  private closeWhenExpired(client: WebSocket, exp: number | undefined): void {
    if (exp === undefined) return;
    const inMs = (exp + (this.options.auth?.clockTolerance ?? 0)) * 1000 - Date.now();
    const timer = setTimeout(() => this.refuse(client, 'TOKEN_EXPIRED'), Math.min(inMs, 2 ** 31 - 1));
    timer.unref();
    client.once('close', () => clearTimeout(timer));
  }

  private refuse(client: WebSocket, code: string): void {
    sendFrame(client, 'exception', { ...clientError('UNAUTHORIZED', 'Unauthorized'), code });
    client.close(CLOSE_UNAUTHORIZED, code);
    client.resume(); // to read the client's close frame: a paused socket would wait out the close timeout
  }

  private allows({ target: client, data }: { target: WebSocket; data: unknown }): boolean {
    if (!this.options.rateLimit) return true;
    let limit = this.buckets.get(client);
    if (!limit) this.buckets.set(client, (limit = { bucket: new TokenBucket(this.options.rateLimit), told: false }));
    const verdict = limit.bucket.take();
    if (verdict === 'pass') {
      limit.told = false;
      return true;
    }
    telemetry.add('rateLimited', { 'realtime.namespace': 'ws' });
    if (verdict === 'cut-off') client.close(CLOSE_POLICY_VIOLATION, 'RATE_LIMITED');
    else if (!limit.told) sendFrame(client, 'exception', { ...RATE_LIMITED, event: eventOf(data) });
    limit.told = true;
    return false;
  }
}

/** The `event` of a frame `{ event, data }`, if it is one. */
function eventOf(frame: unknown): unknown {
  try {
    return (JSON.parse(String(frame)) as { event?: unknown }).event;
  } catch {
    return undefined;
  }
}
