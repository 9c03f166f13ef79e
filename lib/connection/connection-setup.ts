import { Logger } from '@nestjs/common';
import type { Namespace, Server, Socket } from 'socket.io';
import { handshakeAuth } from '../auth/handshake-auth.middleware.js';
import { JwtVerifier } from '../auth/jwt-verifier.js';
import { guardCallback } from '../errors/guard-callback.js';
import { SocketRateLimiter } from '../rate-limit/socket-rate-limiter.js';
import type { RealtimeServerRegistry } from '../realtime-server.registry.js';
import type { ResolvedRealtimeOptions } from '../realtime-options.interface.js';
import type { RedisConnections } from '../redis/redis-connections.js';
import { handleClientRoomEvents } from '../rooms/client-room-events.js';
import { reportRecovery } from '../recovery/resync.js';
import { telemetry } from '../observability/realtime-telemetry.js';
import { answeredAsUnknown } from './unknown-event.js';

const logger = new Logger('RealtimeConnections');

/** Where the module's services learn of the server: absent when the adapter is wired by hand. */
export interface ConnectionServices {
  registry?: RealtimeServerRegistry;
  /** The Redis connections of the server's adapter, for services that need to know Redis is up. */
  redis?: RedisConnections;
  /** Names the server in errors, e.g. 'the socket.io server on port 3001'. */
  label: string;
}

/**
 * What happens when a socket connects, in this order, on every namespace of the server (those a
 * gateway opens later too: `io.use` covers only the main one):
 * 1. the handshake JWT (`auth`): `socket.data.user`, and the room `user:<id>`;
 * 2. presence: the registry hands each namespace to `PresenceService`, which takes the join of
 *    `user:<id>` as "online" and follows every room the socket joins and leaves after it (and
 *    `RoomService` answers the other instances' requests on the server);
 * 3. flood control (`rateLimit`) over every event the socket sends, then `auth:refresh` answered;
 * 4. client room events (`rooms.authorize`): `room:join` / `room:leave`;
 * 5. `NOT_FOUND` for an event with an ack that nothing on the socket serves;
 * 6. with `recovery` and no Redis (socket.io's in-memory recovery), `realtime:resync` to a client whose
 *    recovery failed (with Redis, the engine's `StreamRecovery` does it).
 * Then Nest binds the gateway's handlers and calls its `handleConnection`.
 */
export function setUpConnections(server: Server, options: ResolvedRealtimeOptions, { registry, redis, label }: ConnectionServices): void {
  const auth = options.auth && handshakeAuth(new JwtVerifier(options.auth), options.auth);
  const { rateLimit, rooms } = options;
  const limiter = rateLimit ? new SocketRateLimiter(rateLimit) : undefined;
  // One middleware per socket for flood control, token refreshes and unknown events, bound to it: a
  // bound function is what an idle connection pays (a closure would cost its context too, a listener
  // for `auth:refresh` a key in its events).
  const checkEvent = function (this: Socket, packet: unknown[], next: (error?: Error) => void): void {
    if (limiter && !limiter.admits(this, packet)) return;
    if (auth?.tokens.answersRefresh(this, packet)) return;
    if (!answeredAsUnknown(this, packet)) next();
  };
  const setUp = (namespace: Namespace): void => {
    if (auth) namespace.use(auth.middleware);
    namespace.use((socket, next) => {
      useFirst(socket, checkEvent.bind(socket));
      if (rooms) handleClientRoomEvents(socket, rooms);
      next();
    });
    if (options.recovery && !options.redis) namespace.on('connection', (socket: Socket) => reportRecovery(socket));
    if (telemetry.enabled) namespace.on('connection', countConnection);
  };
  setUp(server.of('/'));
  server.on('new_namespace', guardCallback(logger, 'Setting up a namespace', setUp));
  // After the listener above, so that a namespace opened later gets its auth before presence sees it.
  registry?.register(server, { label, redis });
}

type EventMiddleware = Parameters<Socket['use']>[0];

/**
 * `socket.use(middleware)` for a socket with no middleware yet, in an array of one: socket.io pushes onto
 * an empty array, which V8 then sizes for 17, about 0.19 KB of heap per idle connection (bench `memory`:
 * 11.70 to 11.51 KB). socket.io keeps its middlewares in the socket's `fns`; were it ever to keep them
 * elsewhere, this is `socket.use()` again.
 */
function useFirst(socket: Socket, middleware: EventMiddleware): void {
  const internals = socket as unknown as { fns?: unknown };
  if (Array.isArray(internals.fns) && internals.fns.length === 0) internals.fns = [middleware];
  else socket.use(middleware);
}

function countConnection(socket: Socket): void {
  const namespace = { 'realtime.namespace': socket.nsp.name };
  telemetry.add('connections', namespace);
  telemetry.add('handshakes', { ...namespace, 'realtime.outcome': 'accepted' });
  socket.once('disconnect', (reason: string) => {
    telemetry.add('connections', namespace, -1);
    telemetry.add('disconnections', { ...namespace, 'realtime.reason': reason });
  });
}
