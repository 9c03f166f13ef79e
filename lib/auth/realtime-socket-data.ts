/** What the library keeps in `socket.data`: the authenticated user (the payload, or what `auth.validate` returned) and its id. */
export interface RealtimeSocketData {
  user?: unknown;
  userId?: string;
}

/** The library's part of a socket's `data`, typed (socket.io types `data` as `any`). */
export function socketData(socket: { data: RealtimeSocketData }): RealtimeSocketData {
  return socket.data;
}
