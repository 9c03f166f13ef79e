import { Logger } from '@nestjs/common';
import type { Namespace, Server } from 'socket.io';
import { channelsSubscribed } from '../engines/channel-subscriptions.js';
import { guardCallback } from '../errors/guard-callback.js';
import { userRoom } from '../realtime.constants.js';

const logger = new Logger('RealtimeRooms');

/** Server-side event the instances use to act together on one user's sockets. */
const USER_SOCKETS_EVENT = 'realtime:user-sockets';

/** What to do with every socket of one user. */
export type UserSocketsRequest = { action: 'join' | 'leave'; userId: string; rooms: string[] } | { action: 'disconnect'; userId: string };

/**
 * Applies a request to this instance's sockets of the user, in every namespace; resolves once the rooms
 * joined hear the other instances too (with sharded pub/sub, once their channels are subscribed).
 */
export async function applyLocally(namespaces: Namespace[], request: UserSocketsRequest): Promise<void> {
  for (const namespace of namespaces) {
    const sockets = namespace.local.in(userRoom(request.userId));
    if (request.action === 'join') sockets.socketsJoin(request.rooms);
    else if (request.action === 'leave') sockets.socketsLeave(request.rooms);
    else sockets.disconnectSockets(true);
  }
  if (request.action === 'join') await Promise.all(namespaces.map(channelsSubscribed));
}

/** Makes this instance answer the other instances' requests, once each has been applied here. */
export function answerRequests(server: Server, namespaces: () => Namespace[]): void {
  const answer = (request: UserSocketsRequest, ack: (done: true) => void): Promise<void> =>
    applyLocally(namespaces(), request).then(() => ack(true));
  server.of('/').on(USER_SOCKETS_EVENT, guardCallback(logger, "Applying another instance's request", answer));
}

/**
 * Applies the request here and on every other instance, resolving once all of them acknowledged it
 * (socket.io's own `socketsJoin` only publishes); rejects when one does not answer within
 * `timeoutMs` (`redis.requestsTimeout`: the cluster adapters of the sharded and streams engines have
 * a fixed 5 s of their own).
 */
export async function applyEverywhere(
  server: Server,
  namespaces: Namespace[],
  request: UserSocketsRequest,
  timeoutMs: number,
): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timeout reached: an instance did not answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([
      Promise.all([applyLocally(namespaces, request), server.of('/').serverSideEmitWithAck(USER_SOCKETS_EVENT, request)]),
      timedOut,
    ]);
  } finally {
    clearTimeout(timer);
  }
}
