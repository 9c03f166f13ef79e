import type { Namespace, Server } from 'socket.io';
import { handshakeAuth } from '../auth/handshake-auth.middleware.js';
import { JwtVerifier } from '../auth/jwt-verifier.js';
import type { RealtimeModuleOptions } from '../realtime-options.interface.js';
import { DEFAULT_RATE_LIMIT } from '../realtime.constants.js';
import { limitRate } from '../rate-limit/socket-rate-limiter.js';

/**
 * Puts handshake auth and rate limiting on every namespace of the server, including those a gateway
 * opens later (`io.use` alone covers only the main namespace).
 */
export function protectNamespaces(server: Server, options: RealtimeModuleOptions): void {
  const auth = options.auth && handshakeAuth(new JwtVerifier(options.auth), options.auth);
  const rateLimit = options.rateLimit === false ? undefined : (options.rateLimit ?? DEFAULT_RATE_LIMIT);
  const protect = (namespace: Namespace): void => {
    if (auth) namespace.use(auth);
    if (rateLimit) {
      namespace.use((socket, next) => {
        limitRate(socket, rateLimit);
        next();
      });
    }
  };
  protect(server.of('/'));
  server.on('new_namespace', protect);
}
