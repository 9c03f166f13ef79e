import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import type { Namespace, Socket } from 'socket.io';
import { RealtimeServerRegistry } from '../realtime-server.registry.js';
import type { ResolvedRealtimeOptions } from '../realtime-options.interface.js';
import { REALTIME_OPTIONS } from '../realtime.constants.js';
import { socketData } from '../auth/realtime-socket-data.js';
import { NoSocketServerError } from '../errors/no-socket-server.error.js';
import { telemetry } from '../observability/realtime-telemetry.js';
import { refuseUserRooms, requireName, requireNames } from '../service-arguments.js';
import { answerRequests, applyEverywhere, applyLocally, type UserSocketsRequest } from './user-sockets.request.js';

/** A socket in a room, cluster-wide. */
export interface RoomMember {
  socketId: string;
  userId?: string;
}

/**
 * Room membership; every promise resolves once the membership holds, on every instance. Room names
 * and user ids must be non-empty strings, and `user:<id>` rooms belong to the handshake: anything
 * else rejects with `InvalidArgumentError` before a socket is touched.
 */
@Injectable()
export class RoomService implements OnModuleInit {
  constructor(
    @Inject(REALTIME_OPTIONS) private readonly options: ResolvedRealtimeOptions,
    private readonly registry: RealtimeServerRegistry,
  ) {}

  /** Answers the other instances' requests on the app's server, once there is one (see `setUpConnections`). */
  onModuleInit(): void {
    if (this.options.redis) this.registry.onServer((server) => answerRequests(server, () => this.registry.namespaces));
  }

  /** Puts a local socket in one or more rooms. */
  async join(client: Socket, room: string | string[]): Promise<void> {
    this.registry.requireSocketIo('RoomService.join()');
    requireNames(room, 'RoomService.join()', 'room');
    refuseUserRooms(room, 'RoomService.join()');
    await client.join(room);
  }

  /** Takes a local socket out of a room. */
  async leave(client: Socket, room: string): Promise<void> {
    this.registry.requireSocketIo('RoomService.leave()');
    requireName(room, 'RoomService.leave()', 'room');
    refuseUserRooms(room, 'RoomService.leave()');
    await client.leave(room);
  }

  /** Puts every socket of the user, on every instance, in the rooms. */
  async joinUser(userId: string, room: string | string[]): Promise<void> {
    requireName(userId, 'RoomService.joinUser()', 'userId');
    requireNames(room, 'RoomService.joinUser()', 'room');
    refuseUserRooms(room, 'RoomService.joinUser()');
    return this.forUser({ action: 'join', userId, rooms: ([] as string[]).concat(room) });
  }

  /** Takes every socket of the user, on every instance, out of the room. */
  async leaveUser(userId: string, room: string): Promise<void> {
    requireName(userId, 'RoomService.leaveUser()', 'userId');
    requireName(room, 'RoomService.leaveUser()', 'room');
    refuseUserRooms(room, 'RoomService.leaveUser()');
    return this.forUser({ action: 'leave', userId, rooms: [room] });
  }

  /** Disconnects every socket of the user on every instance, e.g. on logout or ban. */
  async disconnectUser(userId: string): Promise<void> {
    requireName(userId, 'RoomService.disconnectUser()', 'userId');
    return this.forUser({ action: 'disconnect', userId });
  }

  /** The sockets in the room on every instance. */
  async members(room: string, opts: { namespace?: string } = {}): Promise<RoomMember[]> {
    requireName(room, 'RoomService.members()', 'room');
    this.registry.requireSocketIo('RoomService.members()');
    if (!this.registry.server && this.options.redis) throw new NoSocketServerError('RoomService members');
    this.requireRedis();
    const namespace = this.namespace(opts.namespace);
    const timeoutMs = this.options.redis?.requestsTimeout;
    const operator = namespace && (timeoutMs === undefined ? namespace.in(room) : namespace.in(room).timeout(timeoutMs));
    const sockets = operator ? await telemetry.clusterRequest('members', () => operator.fetchSockets()) : [];
    return sockets.map((socket) => {
      const { userId } = socketData(socket);
      return userId === undefined ? { socketId: socket.id } : { socketId: socket.id, userId };
    });
  }

  /** How many sockets are in the room on every instance. */
  async count(room: string, opts: { namespace?: string } = {}): Promise<number> {
    requireName(room, 'RoomService.count()', 'room');
    return (await this.members(room, opts)).length;
  }

  private async forUser(request: UserSocketsRequest): Promise<void> {
    this.registry.requireSocketIo(`RoomService ${request.action}`);
    const server = this.registry.server;
    if (!server && this.options.redis) throw new NoSocketServerError(`RoomService ${request.action}`);
    if (!server) return; // one instance, no server yet: no sockets to act on
    if (!this.options.redis) return applyLocally(this.registry.namespaces, request);
    this.requireRedis();
    const timeoutMs = this.options.redis.requestsTimeout;
    await telemetry.clusterRequest(request.action, () => applyEverywhere(server, this.registry.namespaces, request, timeoutMs));
  }

  /** Cluster-wide calls need the adapter's Redis: while it is down they fail at once, not at the timeout. */
  private requireRedis(): void {
    const redis = this.registry.redis;
    if (redis && !redis.ready) throw redis.notConnected();
  }

  private namespace(name = this.options.namespace): Namespace | undefined {
    return this.registry.namespaceNamed(name, 'RoomService');
  }
}
