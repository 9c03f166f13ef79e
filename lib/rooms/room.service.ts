import { Inject, Injectable } from '@nestjs/common';
import type { Namespace, Server, Socket } from 'socket.io';
import { RealtimeServerRegistry } from '../adapter/realtime-server.registry.js';
import type { RealtimeModuleOptions } from '../realtime-options.interface.js';
import { REALTIME_OPTIONS } from '../realtime.constants.js';
import { NoSocketServerError } from '../errors/no-socket-server.error.js';
import { answerRequests, applyEverywhere, applyLocally, type UserSocketsRequest } from './user-sockets.request.js';

/** A socket in a room, cluster-wide. */
export interface RoomMember {
  socketId: string;
  userId?: string;
}

/** Room membership; every promise resolves once the membership holds, on every instance. */
@Injectable()
export class RoomService {
  constructor(
    @Inject(REALTIME_OPTIONS) private readonly options: RealtimeModuleOptions,
    private readonly registry: RealtimeServerRegistry,
  ) {
    if (options.redis) registry.onServer((server) => answerRequests(server, () => registry.namespaces));
  }

  /** Puts a local socket in one or more rooms. */
  async join(client: Socket, room: string | string[]): Promise<void> {
    await client.join(room);
  }

  /** Takes a local socket out of a room. */
  async leave(client: Socket, room: string): Promise<void> {
    await client.leave(room);
  }

  /** Puts every socket of the user, on every instance, in the rooms. */
  joinUser(userId: string, room: string | string[]): Promise<void> {
    return this.forUser({ action: 'join', userId, rooms: ([] as string[]).concat(room) });
  }

  /** Takes every socket of the user, on every instance, out of the room. */
  leaveUser(userId: string, room: string): Promise<void> {
    return this.forUser({ action: 'leave', userId, rooms: [room] });
  }

  /** Disconnects every socket of the user on every instance, e.g. on logout or ban. */
  disconnectUser(userId: string): Promise<void> {
    return this.forUser({ action: 'disconnect', userId });
  }

  /** The sockets in the room on every instance. */
  async members(room: string, opts: { namespace?: string } = {}): Promise<RoomMember[]> {
    if (!this.registry.server && this.options.redis) throw new NoSocketServerError('RoomService members');
    const sockets = await this.namespace(opts.namespace)?.in(room).fetchSockets();
    return (sockets ?? []).map((socket) => {
      const userId = socket.data?.userId as string | undefined;
      return userId === undefined ? { socketId: socket.id } : { socketId: socket.id, userId };
    });
  }

  /** How many sockets are in the room on every instance. */
  async count(room: string, opts: { namespace?: string } = {}): Promise<number> {
    return (await this.members(room, opts)).length;
  }

  private async forUser(request: UserSocketsRequest): Promise<void> {
    const server = this.registry.server;
    if (!server && this.options.redis) throw new NoSocketServerError(`RoomService ${request.action}`);
    if (!server) return; // one instance, no server yet: no sockets to act on
    if (!this.options.redis) return applyLocally(this.registry.namespaces, request);
    await applyEverywhere(server, this.registry.namespaces, request);
  }

  private namespace(name = '/'): Namespace | undefined {
    const server: Server | undefined = this.registry.server;
    return server?.of(name);
  }
}
