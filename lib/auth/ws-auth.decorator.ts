import { applyDecorators, SetMetadata, UseFilters, UseGuards } from '@nestjs/common';
import { RealtimeExceptionFilter } from '../errors/realtime-exception.filter.js';
import { WS_AUTH_METADATA } from '../realtime.constants.js';
import type { WsAuthOptions } from './ws-auth-options.interface.js';
import { WsAuthGuard } from './ws-auth.guard.js';

/**
 * Requires an authenticated user on a gateway or one handler, and answers refusals and errors with
 * {@link RealtimeExceptionFilter}. A method's `@WsAuth()` replaces the class's.
 * @example @WsAuth({ roles: ['admin'] }) @SubscribeMessage('announce') announce() {}
 * @example @WsAuth<{ ownerId: string }>({ policy: (user, client, data) => data.ownerId === user.sub })
 */
export function WsAuth<TData = unknown>(options: WsAuthOptions<TData> = {}): ClassDecorator & MethodDecorator {
  return applyDecorators(SetMetadata(WS_AUTH_METADATA, options), UseGuards(WsAuthGuard), UseFilters(RealtimeExceptionFilter));
}
