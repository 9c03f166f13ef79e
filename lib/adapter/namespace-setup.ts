import { Logger } from '@nestjs/common';
import type { Namespace, Server } from 'socket.io';
import { handshakeAuth } from '../auth/handshake-auth.middleware.js';
import { JwtVerifier } from '../auth/jwt-verifier.js';
import type { ResolvedRealtimeOptions } from '../realtime-options.interface.js';
import { limitRate } from '../rate-limit/socket-rate-limiter.js';
import { handleClientRoomEvents } from '../rooms/client-room-events.js';
import { guardCallback } from '../errors/guard-callback.js';
import { answerUnknownEvents } from './unknown-event.middleware.js';

const logger = new Logger('RealtimeNamespaces');

/**
 * Puts handshake auth, rate limiting, (with `rooms.authorize`) client room events and the answer to
 * unknown events on every namespace of the server, including those a gateway opens later (`io.use`
 * covers only the main one).
 */
export function setUpNamespaces(server: Server, options: ResolvedRealtimeOptions): void {
  const auth = options.auth && handshakeAuth(new JwtVerifier(options.auth), options.auth);
  const rateLimit = options.rateLimit;
  const rooms = options.rooms;
  const setUp = (namespace: Namespace): void => {
    if (auth) namespace.use(auth);
    namespace.use((socket, next) => {
      if (rateLimit) limitRate(socket, rateLimit);
      if (rooms) handleClientRoomEvents(socket, rooms);
      answerUnknownEvents(socket);
      next();
    });
  };
  setUp(server.of('/'));
  server.on('new_namespace', guardCallback(logger, 'Setting up a namespace', setUp));
}
