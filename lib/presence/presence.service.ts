import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { Namespace } from 'socket.io';
import { RealtimeServerRegistry } from '../adapter/realtime-server.registry.js';
import { PresenceDisabledError } from '../errors/presence-disabled.error.js';
import type { RealtimeModuleOptions } from '../realtime-options.interface.js';
import { PRESENCE_JOIN_EVENT, PRESENCE_LEAVE_EVENT, REALTIME_OPTIONS, USER_ROOM_PREFIX } from '../realtime.constants.js';
import { presenceTtlMs } from './presence-store.factory.js';
import { PresenceStore, type PresenceEntry } from './presence-store.interface.js';

const ONLINE = 'online';

/**
 * Who is online, cluster-wide and multi-tab aware: a user is online while any of its sockets is
 * connected on any instance. Room members get `presence:join` / `presence:leave` `{ room, userId }`
 * when a user's first socket enters or last socket leaves the room.
 */
@Injectable()
export class PresenceService implements OnApplicationShutdown {
  private readonly logger = new Logger(PresenceService.name);
  private readonly instanceId = randomUUID();
  private readonly pending = new Set<Promise<void>>();
  private heartbeat?: NodeJS.Timeout;

  constructor(
    @Inject(REALTIME_OPTIONS) private readonly options: RealtimeModuleOptions,
    @Inject(PresenceStore) private readonly store: PresenceStore,
    private readonly registry: RealtimeServerRegistry,
  ) {
    if (options.presence === false) return;
    registry.onNamespace((namespace) => this.track(namespace));
    registry.onServer(() => this.startHeartbeat());
  }

  /** Whether any socket of the user is connected, on any instance. */
  async isOnline(userId: string): Promise<boolean> {
    return this.enabled().has(ONLINE, userId);
  }

  /** The ids of the users online. */
  async online(): Promise<string[]> {
    return this.enabled().users(ONLINE);
  }

  /** The ids of the users with a socket in the room. */
  async onlineIn(room: string): Promise<string[]> {
    return this.enabled().users(`room:${room}`);
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.heartbeat);
    await Promise.all(this.pending);
    await this.store.close();
  }

  private enabled(): PresenceStore {
    if (this.options.presence === false) throw new PresenceDisabledError();
    return this.store;
  }

  private track(namespace: Namespace): void {
    namespace.adapter.on('join-room', (room: string, socketId: string) => {
      const entry = this.entryOf(namespace, room, socketId);
      if (entry) this.run(this.store.add(entry), (first) => first && this.announce(namespace, PRESENCE_JOIN_EVENT, entry));
    });
    namespace.adapter.on('leave-room', (room: string, socketId: string) => {
      const entry = this.entryOf(namespace, room, socketId);
      if (entry) this.run(this.store.remove(entry), (last) => last && this.announce(namespace, PRESENCE_LEAVE_EVENT, entry));
    });
  }

  /** The presence a room change stands for; the handshake puts a socket in `user:<id>` (online). */
  private entryOf(namespace: Namespace, room: string, socketId: string): PresenceEntry | undefined {
    if (room === socketId) return undefined;
    const socket = `${this.instanceId}:${namespace.name}:${socketId}`;
    if (room.startsWith(USER_ROOM_PREFIX)) return { scope: ONLINE, userId: room.slice(USER_ROOM_PREFIX.length), socket };
    const userId = namespace.sockets.get(socketId)?.data.userId as string | undefined;
    return userId === undefined ? undefined : { scope: `room:${room}`, userId, socket };
  }

  private announce(namespace: Namespace, event: string, entry: PresenceEntry): void {
    if (entry.scope === ONLINE) return;
    const room = entry.scope.slice('room:'.length);
    namespace.to(room).emit(event, { room, userId: entry.userId });
  }

  private run<T>(operation: Promise<T>, then: (result: T) => unknown): void {
    const done = operation.then(then).then(
      () => undefined,
      (error: Error) => this.logger.warn(`Presence not updated: ${error.message}`),
    );
    this.pending.add(done);
    void done.finally(() => this.pending.delete(done));
  }

  private startHeartbeat(): void {
    const every = presenceTtlMs(this.options) / 3;
    this.heartbeat = setInterval(() => this.run(this.store.refresh(this.localEntries()), () => undefined), every);
    this.heartbeat.unref();
  }

  private localEntries(): PresenceEntry[] {
    const entries: PresenceEntry[] = [];
    for (const namespace of this.registry.namespaces) {
      for (const [socketId, socket] of namespace.sockets) {
        for (const room of socket.rooms) {
          const entry = this.entryOf(namespace, room, socketId);
          if (entry) entries.push(entry);
        }
      }
    }
    return entries;
  }
}
