import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Socket } from 'socket.io';
import { RealtimeException } from '../errors/realtime.exception.js';
import { WS_AUTH_METADATA } from '../realtime.constants.js';
import { socketData } from './realtime-socket-data.js';
import type { WsAuthOptions } from './ws-auth-options.interface.js';

/**
 * Lets a message through when the socket has an authenticated user (and the roles or policy of
 * `@WsAuth()` allow it). Reads `socket.data.user`: the token was verified once, at the handshake.
 */
@Injectable()
export class WsAuthGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'ws') return true;
    const options =
      this.reflector.getAllAndOverride<WsAuthOptions | undefined>(WS_AUTH_METADATA, [context.getHandler(), context.getClass()]) ?? {};
    const client = context.switchToWs().getClient<Socket>();
    const user = socketData(client).user as { roles?: unknown } | undefined;
    if (!user) throw new RealtimeException('UNAUTHORIZED', 'Authentication required');
    const roles = Array.isArray(user.roles) ? user.roles : [];
    if (options.roles?.length && !options.roles.some((role) => roles.includes(role))) {
      throw new RealtimeException('FORBIDDEN', `Requires the role ${options.roles.join(' or ')}`);
    }
    if (options.policy && !(await options.policy(user, client, context.switchToWs().getData()))) {
      throw new RealtimeException('FORBIDDEN', 'Forbidden');
    }
    return true;
  }
}
