import type { Socket } from 'socket.io';

/** What `@WsAuth()` requires beyond an authenticated user. */
export interface WsAuthOptions {
  /** The user's `roles` must include one of these. */
  roles?: string[];
  /** Must resolve true for the message to be handled. */
  policy?: (user: any, client: Socket, data: unknown) => boolean | Promise<boolean>;
}
