import type { Socket } from 'socket.io';

/**
 * What `@WsAuth()` requires beyond an authenticated user. `TData` types the message data the policy
 * sees (unchecked: the client sent it).
 */
export interface WsAuthOptions<TData = unknown> {
  /** The user's `roles` must include one of these. */
  roles?: string[];
  /** Must resolve true for the message to be handled. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the user is the app's own type
  policy?: (user: any, client: Socket, data: TData) => boolean | Promise<boolean>;
}
