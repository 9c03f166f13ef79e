import { Logger } from '@nestjs/common';
import type { JwtPayload } from 'jsonwebtoken';
import type { Socket } from 'socket.io';
import { clientError } from '../errors/client-error.js';
import { isAck, type Ack } from '../errors/client-reply.js';
import { guardCallback } from '../errors/guard-callback.js';
import { AUTH_EXPIRED_EVENT, AUTH_REFRESH_EVENT } from '../realtime.constants.js';
import type { JwtVerifier } from './jwt-verifier.js';
import { socketData } from './realtime-socket-data.js';

// setTimeout's ceiling (~24.8 days); a later expiry is re-checked when this fires.
const MAX_TIMER_MS = 2 ** 31 - 1;

interface ExpiryOptions {
  verifier: JwtVerifier;
  graceMs: number;
  /** Seconds of skew tolerated, as in verification. */
  clockTolerance: number;
}

const logger = new Logger('TokenExpiry');

/** Follows the tokens of authenticated sockets. */
export interface TokenExpiryWatch {
  /** From the handshake on: when the token's `exp` passes, `auth:expired`, then a disconnect after the grace period. */
  watch: (socket: Socket, payload: JwtPayload) => void;
  /**
   * Takes an incoming packet (`[event, body, ack]`) when it is `auth:refresh { token }` from a socket
   * that connected with a token, and answers it: ok with a valid token for the same user, else an
   * error. False for any other packet, which goes on as usual.
   */
  answersRefresh: (socket: Socket, packet: unknown[]) => boolean;
}

/**
 * A socket whose token's `exp` passes gets `auth:expired` and is disconnected after the grace period
 * unless it sends `auth:refresh { token }` with a valid token for the same user. The event middleware
 * hands `auth:refresh` packets over, so a socket has no listener for it, and its only state here is
 * its timer (none for a token without `exp`): an idle connection costs little.
 */
export function tokenExpiryWatch(options: ExpiryOptions): TokenExpiryWatch {
  const timers = new WeakMap<Socket, NodeJS.Timeout>();
  const forget = function (this: Socket): void {
    clearTimeout(timers.get(this));
    timers.delete(this);
    this.off('disconnect', forget);
  };
  // A socket has a timer, and a `disconnect` listener to clear it, only while its token has an `exp`.
  const schedule = (socket: Socket, exp: number | undefined): void => {
    const running = timers.get(socket);
    clearTimeout(running);
    if (exp === undefined) {
      timers.delete(socket);
      socket.off('disconnect', forget);
      return;
    }
    if (!running) socket.on('disconnect', forget);
    const delay = (exp + options.clockTolerance) * 1000 - Date.now();
    const timer = delay > MAX_TIMER_MS ? setTimeout(schedule, MAX_TIMER_MS, socket, exp) : setTimeout(expire, Math.max(delay, 0), socket);
    timers.set(socket, timer);
  };
  const expire = (socket: Socket): void => {
    socket.emit(AUTH_EXPIRED_EVENT);
    timers.set(socket, setTimeout(disconnect, options.graceMs, socket));
  };
  const refresh = async (socket: Socket, body: unknown, ack: Ack): Promise<void> => {
    const token = (body as { token?: unknown } | undefined)?.token;
    try {
      if (typeof token !== 'string') throw new Error('no token');
      const next = options.verifier.verify(token);
      const user = await options.verifier.toUser(next);
      if (options.verifier.userIdOf(user) !== socketData(socket).userId) {
        ack(clientError('FORBIDDEN', 'The new token is for another user'));
        socket.disconnect(true);
        return;
      }
      socketData(socket).user = user;
      schedule(socket, next.exp);
      ack({ status: 'ok' });
    } catch {
      ack(clientError('UNAUTHORIZED', 'Invalid token'));
    }
  };
  const onRefresh = guardCallback(logger, `"${AUTH_REFRESH_EVENT}"`, (socket: Socket, body: unknown, ack?: unknown) =>
    refresh(socket, body, isAck(ack) ? ack : () => undefined),
  );
  return {
    watch: (socket, payload) => schedule(socket, payload.exp),
    answersRefresh: (socket, packet) => {
      const [event, body] = packet;
      if (event !== AUTH_REFRESH_EVENT || socketData(socket).userId === undefined) return false;
      // the ack is the last argument, also when the client sent no body
      onRefresh(socket, isAck(body) ? undefined : body, packet[packet.length - 1]);
      return true;
    },
  };
}

function disconnect(socket: Socket): void {
  socket.disconnect(true);
}
