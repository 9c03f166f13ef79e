import { Logger } from '@nestjs/common';
import type { Socket } from 'socket.io';
import { guardCallback } from '../errors/guard-callback.js';
import type { ResolvedAuthOptions } from '../realtime-options.interface.js';
import { userRoom } from '../realtime.constants.js';
import { HandshakeRefusalError } from './handshake-refusal.error.js';
import { socketData } from './realtime-socket-data.js';
import type { JwtVerifier } from './jwt-verifier.js';
import { tokenExpiryWatch, type TokenExpiryWatch } from './token-expiry.js';
import { telemetry } from '../observability/realtime-telemetry.js';

type Middleware = (socket: Socket, next: (error?: Error) => void) => void;

const logger = new Logger('HandshakeAuth');

/**
 * `middleware`: socket.io middleware that verifies the handshake JWT before `handleConnection` runs:
 * the user goes to `socket.data.user` and the socket joins `user:<id>`; a refusal reaches the client as
 * `connect_error` `{ message: 'Unauthorized', data: { code } }`. It runs again when a socket recovers.
 * `tokens` then follows each accepted token until it expires or is refreshed.
 */
export function handshakeAuth(verifier: JwtVerifier, options: ResolvedAuthOptions): { middleware: Middleware; tokens: TokenExpiryWatch } {
  const tokens = tokenExpiryWatch({ verifier, graceMs: options.expiryGraceMs, clockTolerance: options.clockTolerance });
  const authenticate = async (socket: Socket): Promise<void> => {
    const token = tokenOf(socket);
    // A recovered socket (recovery on) comes back with its user: only that user's token may take it.
    const recoveredUserId = socket.recovered ? socketData(socket).userId : undefined;
    if (token === undefined) {
      if (!options.required && recoveredUserId === undefined) return;
      throw new HandshakeRefusalError('TOKEN_MISSING');
    }
    const { payload, user, userId } = await verifier.authenticate(token);
    if (recoveredUserId !== undefined && recoveredUserId !== userId) throw new HandshakeRefusalError('USER_REJECTED');
    Object.assign(socketData(socket), { user, userId });
    await socket.join(userRoom(userId));
    tokens.watch(socket, payload);
  };
  const middleware = guardCallback(logger, 'Handshake auth', (socket: Socket, next: (error?: Error) => void) =>
    authenticate(socket).then(
      () => next(),
      (error: Error) => {
        if (error.cause) logger.warn(`auth.validate threw, connection refused: ${(error.cause as Error).message}`);
        const refusal = error instanceof HandshakeRefusalError ? error : new HandshakeRefusalError('USER_REJECTED', error);
        telemetry.add('handshakes', {
          'realtime.namespace': socket.nsp.name,
          'realtime.outcome': 'refused',
          'realtime.code': refusal.data.code,
        });
        next(refusal);
      },
    ),
  );
  return { middleware, tokens };
}

/** `handshake.auth.token`, else the `Authorization: Bearer` header. */
function tokenOf(socket: Socket): string | undefined {
  const fromAuth: unknown = socket.handshake.auth?.token;
  if (typeof fromAuth === 'string' && fromAuth !== '') return fromAuth;
  const header = socket.handshake.headers.authorization;
  const bearer = header && /^Bearer\s+(\S+)$/i.exec(header);
  return bearer ? bearer[1] : undefined;
}
