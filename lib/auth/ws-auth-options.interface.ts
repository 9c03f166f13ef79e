import type { Socket } from 'socket.io';

/** What `@WsAuth()` requires beyond an authenticated user. */
export interface WsAuthOptions {
  /** The user's `roles` must include one of these. */
  roles?: string[];
  /** Must resolve true for the message to be handled. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the user is the app's own type
  policy?: (user: any, client: Socket, data: unknown) => boolean | Promise<boolean>;
}
