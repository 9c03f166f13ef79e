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
  userId: string;
  graceMs: number;
  /** Seconds of skew tolerated, as in verification. */
  clockTolerance: number;
}

const logger = new Logger('TokenExpiry');

/**
 * When the token's `exp` passes, emits `auth:expired` and disconnects after the grace period unless
 * the socket sends `auth:refresh { token }` with a valid token for the same user.
 */
export function watchTokenExpiry(socket: Socket, payload: JwtPayload, options: ExpiryOptions): void {
  let timer: NodeJS.Timeout | undefined;
  const schedule = (exp: number | undefined): void => {
    clearTimeout(timer);
    if (exp === undefined) return;
    const expiresAt = (exp + options.clockTolerance) * 1000;
    const delay = expiresAt - Date.now();
    timer = setTimeout(() => (delay > MAX_TIMER_MS ? schedule(exp) : expire()), Math.min(Math.max(delay, 0), MAX_TIMER_MS));
  };
  const expire = (): void => {
    socket.emit(AUTH_EXPIRED_EVENT);
    timer = setTimeout(() => socket.disconnect(true), options.graceMs);
  };
  const refresh = async (body: unknown, ack: Ack): Promise<void> => {
    const token = (body as { token?: unknown } | undefined)?.token;
    try {
      if (typeof token !== 'string') throw new Error('no token');
      const next = options.verifier.verify(token);
      const user = await options.verifier.toUser(next);
      if (options.verifier.userIdOf(user) !== options.userId) {
        ack(clientError('FORBIDDEN', 'The new token is for another user'));
        socket.disconnect(true);
        return;
      }
      socketData(socket).user = user;
      schedule(next.exp);
      ack({ status: 'ok' });
    } catch {
      ack(clientError('UNAUTHORIZED', 'Invalid token'));
    }
  };
  socket.on(
    AUTH_REFRESH_EVENT,
    guardCallback(logger, `"${AUTH_REFRESH_EVENT}"`, (body: unknown, ack?: unknown) => refresh(body, isAck(ack) ? ack : () => undefined)),
  );
  socket.once('disconnect', () => clearTimeout(timer));
  schedule(payload.exp);
}
