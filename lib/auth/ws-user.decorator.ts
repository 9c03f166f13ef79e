import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { Socket } from 'socket.io';
import { socketData } from './realtime-socket-data.js';

/**
 * The socket's authenticated user (`socket.data.user`), or one property of it.
 * @example @SubscribeMessage('whoami') whoami(@WsUser('sub') userId: string) {}
 */
export const WsUser = createParamDecorator((property: string | undefined, context: ExecutionContext): unknown => {
  const user = socketData(context.switchToWs().getClient<Socket>()).user as Record<string, unknown> | undefined;
  return property ? user?.[property] : user;
});
