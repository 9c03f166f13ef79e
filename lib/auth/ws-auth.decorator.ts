import { applyDecorators, SetMetadata, UseFilters, UseGuards } from '@nestjs/common';
import type { Socket } from 'socket.io';
import { RealtimeExceptionFilter } from '../errors/realtime-exception.filter.js';
import { WS_AUTH_METADATA } from '../realtime.constants.js';
import { WsAuthGuard } from './ws-auth.guard.js';

/** What `@WsAuth()` requires beyond an authenticated user. */
export interface WsAuthOptions {
  /** The user's `roles` must include one of these. */
  roles?: string[];
  /** Must resolve true for the message to be handled. */
  policy?: (user: any, client: Socket, data: unknown) => boolean | Promise<boolean>;
}

/**
 * Requires an authenticated user on a gateway or one handler, and answers refusals and errors with
 * {@link RealtimeExceptionFilter}. A method's `@WsAuth()` replaces the class's.
 * @example @WsAuth({ roles: ['admin'] }) @SubscribeMessage('announce') announce() {}
 */
export function WsAuth(options: WsAuthOptions = {}): ClassDecorator & MethodDecorator {
  return applyDecorators(SetMetadata(WS_AUTH_METADATA, options), UseGuards(WsAuthGuard), UseFilters(RealtimeExceptionFilter));
}
