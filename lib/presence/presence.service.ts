import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { Namespace, Socket } from 'socket.io';
import { socketData } from '../auth/realtime-socket-data.js';
import { RealtimeServerRegistry } from '../realtime-server.registry.js';
import { guardCallback } from '../errors/guard-callback.js';
import { PresenceDisabledError } from '../errors/presence-disabled.error.js';
import { RedisNotConnectedError } from '../errors/redis-not-connected.error.js';
import type { PresenceRoomEvents, ResolvedRealtimeOptions } from '../realtime-options.interface.js';
import { REALTIME_OPTIONS, USER_ROOM_PREFIX } from '../realtime.constants.js';
import { isRecoverableDisconnect } from '../recovery/recoverable-disconnect.js';
import { requireName } from '../service-arguments.js';
import { PresenceAnnouncer, type PresenceChange } from './presence-announcer.js';
import { PresenceStore, type PresenceEntry } from './presence-store.interface.js';

const ROOM_SCOPE_PREFIX = 'room:';
/**
 * Who is online is kept in this many scopes, a user in one of them by a hash of its id: on a Redis
 * Cluster each has its own slot, so no one key or slot holds every online user.
 */
const ONLINE_SCOPES = 16;
const ONLINE_SCOPE_NAMES = Array.from({ length: ONLINE_SCOPES }, (_, i) => `online:${i}`);

/**
 * Who is online, cluster-wide and multi-tab aware: a user is online while any of its sockets is
 * connected on any instance. Room members hear when a user's first socket enters or last socket
 * leaves the room (`presence.roomEvents`), also when the instance that held the socket died (within
 * `ttlMs` and a third of it).
 */
@Injectable()
export class PresenceService implements OnModuleInit, BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly logger = new Logger(PresenceService.name);
  private readonly instanceId = randomUUID();
  /** `<instanceId>:<namespace>:`, the start of every entry socket of a namespace (see `entrySocket`). */
  private readonly entryPrefixes = new WeakMap<Namespace, string>();
  private readonly pending = new Set<Promise<void>>();
  private readonly announcer?: PresenceAnnouncer;
  /** With `recovery`: sockets closing for a reason they may recover from, by entry socket. */
  private readonly departing = new Set<string>();
  /** With `recovery`: the entries of such sockets, kept (and refreshed) for the window, by entry socket. */
  private readonly lingering = new Map<string, { entries: PresenceEntry[]; timer: NodeJS.Timeout }>();
  private heartbeat?: NodeJS.Timeout;

  constructor(
    @Inject(REALTIME_OPTIONS) private readonly options: ResolvedRealtimeOptions,
    @Inject(PresenceStore) private readonly store: PresenceStore,
    private readonly registry: RealtimeServerRegistry,
  ) {
    if (options.presence)
      this.announcer = new PresenceAnnouncer(roomEventsOf(options.presence.roomEvents), options.presence.diffIntervalMs, this.logger);
  }

  /** Follows the rooms of every socket of the app's server (see `setUpConnections`), once there is one. */
  onModuleInit(): void {
    const presence = this.options.presence;
    if (presence === false) return;
    this.registry.onNamespace((namespace) => this.track(namespace));
    this.registry.onServer(() => this.startHeartbeat(presence.ttlMs / 3));
  }

  /** Whether any socket of the user is connected, on any instance. */
  async isOnline(userId: string): Promise<boolean> {
    requireName(userId, 'PresenceService.isOnline()', 'userId');
    return this.enabled().has(onlineScopeOf(userId), userId);
  }

  /** The ids of the users online. */
  async online(): Promise<string[]> {
    const store = this.enabled();
    return (await Promise.all(ONLINE_SCOPE_NAMES.map((scope) => store.users(scope)))).flat();
  }

  /** The ids of the users with a socket in the room. */
  async onlineIn(room: string): Promise<string[]> {
    requireName(room, 'PresenceService.onlineIn()', 'room');
    return this.enabled().users(`${ROOM_SCOPE_PREFIX}${room}`);
  }

  /** The last changes, those of this instance's own sockets closing, go out as they come. */
  beforeApplicationShutdown(): void {
    this.announcer?.stopBatching();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.heartbeat);
    this.lingering.forEach(({ timer }) => clearTimeout(timer)); // their entries lapse after ttlMs unless recovered elsewhere
    await Promise.all(this.pending);
    await this.store.close();
  }

  private enabled(): PresenceStore {
    this.registry.requireSocketIo('PresenceService');
    if (this.options.presence === false) throw new PresenceDisabledError();
    return this.store;
  }

  private track(namespace: Namespace): void {
    const context = `Presence of a socket in ${namespace.name}`;
    namespace.adapter.on(
      'join-room',
      guardCallback(this.logger, context, (room: unknown, socketId: string) => {
        const entry = this.entryOf(namespace, room, socketId);
        if (entry) this.add(namespace, entry);
      }),
    );
    namespace.adapter.on(
      'leave-room',
      guardCallback(this.logger, context, (room: unknown, socketId: string) => {
        const entry = this.entryOf(namespace, room, socketId);
        if (!entry) return;
        if (this.departing.has(entry.socket)) this.linger(namespace, entry);
        else this.remove(namespace, entry);
      }),
    );
    if (this.options.recovery)
      namespace.on(
        'connection',
        guardCallback(this.logger, context, (socket: Socket) => this.followRecovery(socket)),
      );
  }

  /**
   * With `recovery`, presence does not flap: a socket that closes for a reason it may recover from keeps
   * its entries for the window (`recovery.maxDisconnectionMs`). Back on this instance, it takes them
   * over; back on another, that instance adds its own before these go. A recovered socket was put back
   * in its rooms before it was connected, when its user was not known yet: its room entries are added now.
   */
  private followRecovery(socket: Socket): void {
    const namespace = socket.nsp;
    const key = this.entrySocket(namespace, socket.id);
    if (socket.recovered) {
      clearTimeout(this.lingering.get(key)?.timer);
      this.lingering.delete(key);
      for (const room of socket.rooms) {
        const entry = typeof room === 'string' && !room.startsWith(USER_ROOM_PREFIX) && this.entryOf(namespace, room, socket.id);
        if (entry) this.add(namespace, entry);
      }
    }
    socket.once('disconnecting', (reason: string) => isRecoverableDisconnect(reason) && this.departing.add(key));
    socket.once('disconnect', () => this.departing.delete(key));
  }

  private linger(namespace: Namespace, entry: PresenceEntry): void {
    const windowMs = (this.options.recovery as { maxDisconnectionMs: number }).maxDisconnectionMs;
    const kept = this.lingering.get(entry.socket) ?? {
      entries: [],
      timer: setTimeout(() => {
        this.lingering.delete(entry.socket);
        kept.entries.forEach((lapsed) => this.remove(namespace, lapsed));
      }, windowMs).unref(),
    };
    kept.entries.push(entry);
    this.lingering.set(entry.socket, kept);
  }

  private add(namespace: Namespace, entry: PresenceEntry): void {
    this.run(this.store.add(entry), (first) => first && this.announce(namespace, entry, 'joined'));
  }

  private remove(namespace: Namespace, entry: PresenceEntry): void {
    this.run(this.store.remove(entry), (last) => last && this.announce(namespace, entry, 'left'));
  }

  /** The presence a room change stands for; the handshake puts a socket in `user:<id>` (online). */
  private entryOf(namespace: Namespace, room: unknown, socketId: string): PresenceEntry | undefined {
    // socket.io accepts any value as a room; only names are presence (RoomService refuses the rest).
    if (typeof room !== 'string' || room === socketId) return undefined;
    const socket = this.entrySocket(namespace, socketId);
    if (room.startsWith(USER_ROOM_PREFIX)) {
      const userId = room.slice(USER_ROOM_PREFIX.length);
      return { scope: onlineScopeOf(userId), userId, socket };
    }
    const socketOf = namespace.sockets.get(socketId);
    const userId = socketOf && socketData(socketOf).userId;
    return userId === undefined ? undefined : { scope: `${ROOM_SCOPE_PREFIX}${room}`, userId, socket };
  }

  /**
   * How a socket is known in the store: by instance, so that a socket recovered elsewhere is another
   * entry. The `<instance>:<namespace>:` part is made once per namespace, so that a socket's entry is
   * one string joined to it, not several.
   */
  private entrySocket(namespace: Namespace, socketId: string): string {
    let prefix = this.entryPrefixes.get(namespace);
    if (prefix === undefined) this.entryPrefixes.set(namespace, (prefix = `${this.instanceId}:${namespace.name}:`));
    return prefix + socketId;
  }

  private announce(namespace: Namespace, { scope, userId }: Omit<PresenceEntry, 'socket'>, change: PresenceChange): void {
    if (scope.startsWith(ROOM_SCOPE_PREFIX)) this.announcer?.announce(namespace, scope.slice(ROOM_SCOPE_PREFIX.length), userId, change);
  }

  private run<T>(operation: Promise<T>, then: (result: T) => unknown): void {
    const done = operation.then(then).then(
      () => undefined,
      (error: Error) => {
        // The outage itself is logged once by the connection; the heartbeat after it restores presence.
        if (!(error instanceof RedisNotConnectedError)) this.logger.warn(`Presence not updated: ${error.message}`);
      },
    );
    this.pending.add(done);
    void done.finally(() => this.pending.delete(done));
  }

  private startHeartbeat(everyMs: number): void {
    if (this.heartbeat) return; // one for the instance, however many servers it has
    const beat = guardCallback(this.logger, 'Presence heartbeat', () => this.beat());
    this.heartbeat = setInterval(beat, everyMs);
    this.heartbeat.unref();
    // Redis may have restarted empty: put this instance's users back at once, not at the next beat.
    this.store.onReconnect(beat);
  }

  /**
   * Extends this instance's entries, and announces the users whose sockets lapsed (a dead instance's)
   * in the rooms this instance's sockets are in, so that their members hear that they left.
   */
  private beat(): void {
    const { entries, watched } = this.localPresence();
    this.run(this.store.refresh(entries, [...watched.keys()]), (lapsed) => {
      for (const presence of lapsed) {
        watched.get(presence.scope)?.forEach((namespace) => this.announce(namespace, presence, 'left'));
      }
    });
  }

  /** This instance's entries, and the namespaces each scope with a local socket in it is seen in. */
  private localPresence(): { entries: PresenceEntry[]; watched: Map<string, Set<Namespace>> } {
    const entries: PresenceEntry[] = [...this.lingering.values()].flatMap((kept) => kept.entries);
    const watched = new Map<string, Set<Namespace>>(ONLINE_SCOPE_NAMES.map((scope) => [scope, new Set()]));
    for (const namespace of this.registry.namespaces) {
      for (const [socketId, socket] of namespace.sockets) {
        for (const room of socket.rooms) {
          const entry = this.entryOf(namespace, room, socketId);
          if (entry) entries.push(entry);
          if (typeof room !== 'string' || room === socketId || room.startsWith(USER_ROOM_PREFIX)) continue;
          const scope = `${ROOM_SCOPE_PREFIX}${room}`;
          watched.set(scope, (watched.get(scope) ?? new Set()).add(namespace));
        }
      }
    }
    return { entries, watched };
  }
}

/** The online scope of a user: FNV-1a of its id, modulo {@link ONLINE_SCOPES}. */
function onlineScopeOf(userId: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < userId.length; i++) hash = Math.imul(hash ^ userId.charCodeAt(i), 0x01000193);
  return ONLINE_SCOPE_NAMES[(hash >>> 0) % ONLINE_SCOPES];
}

function roomEventsOf(roomEvents: PresenceRoomEvents | ((room: string) => PresenceRoomEvents)): (room: string) => PresenceRoomEvents {
  return typeof roomEvents === 'function' ? roomEvents : () => roomEvents;
}
