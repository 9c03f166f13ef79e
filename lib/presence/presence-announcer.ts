import type { Logger } from '@nestjs/common';
import type { Namespace } from 'socket.io';
import { guardCallback } from '../errors/guard-callback.js';
import type { PresenceRoomEvents } from '../realtime-options.interface.js';
import { PRESENCE_DIFF_EVENT, PRESENCE_JOIN_EVENT, PRESENCE_LEAVE_EVENT } from '../realtime.constants.js';

/** A user's first socket entered a room, or its last one left it. */
export type PresenceChange = 'joined' | 'left';

/** What `presence:diff` carries: the users who entered and who left the room since the last one. */
export interface PresenceDiff {
  room: string;
  joined: string[];
  left: string[];
}

// Diffs of a big room go out less often, so that a room costs each instance about the same number of
// socket writes per second whatever its size (about 1,000 a second): 1,000 members on an instance get
// one at most every second, 5,000 every 5 s. A socket write is the dearest part of a diff (bench
// bigRoom, two instances, 1,000 users joining: 0.2 ms a member made the connect time 1.55 s, this 1.42 s).
const MS_PER_MEMBER = 1;

/** The changes of one room waiting for its next diff. */
interface PendingRoom {
  namespace: Namespace;
  room: string;
  changes: Map<string, PresenceChange>;
  timer?: NodeJS.Timeout;
}

/**
 * Tells a room's members who entered and left it, as each room's `roomEvents` says: one `presence:diff`
 * per room at most every `intervalMs` (longer for big rooms) with the net changes, so N users entering
 * one room cost each member a few messages, not N; or `presence:join` / `presence:leave` per user; or
 * nothing.
 */
export class PresenceAnnouncer {
  private readonly pending = new Map<Namespace, Map<string, PendingRoom>>();
  private batching = true;

  constructor(
    private readonly eventsIn: (room: string) => PresenceRoomEvents,
    private readonly intervalMs: number,
    private readonly logger: Logger,
  ) {}

  announce(namespace: Namespace, room: string, userId: string, change: PresenceChange): void {
    const events = this.eventsIn(room);
    if (events === 'each')
      return void namespace.to(room).emit(change === 'joined' ? PRESENCE_JOIN_EVENT : PRESENCE_LEAVE_EVENT, { room, userId });
    if (events !== 'diff') return;
    const pending = this.pendingRoom(namespace, room);
    // A user who left and came back (or came and left) within one interval made no change to tell.
    if (pending.changes.has(userId) && pending.changes.get(userId) !== change) pending.changes.delete(userId);
    else pending.changes.set(userId, change);
    if (!this.batching) return this.send(pending);
    const members = namespace.adapter.rooms.get(room)?.size ?? 0;
    pending.timer ??= setTimeout(
      guardCallback(this.logger, `Sending the presence diff of a room in ${namespace.name}`, () => this.send(pending)),
      Math.max(this.intervalMs, members * MS_PER_MEMBER),
    ).unref();
  }

  /** Sends what is pending and, from now on, each change at once: the server is going away. */
  stopBatching(): void {
    this.batching = false;
    for (const rooms of this.pending.values()) rooms.forEach((pending) => this.send(pending));
  }

  private pendingRoom(namespace: Namespace, room: string): PendingRoom {
    const rooms = this.pending.get(namespace) ?? new Map<string, PendingRoom>();
    this.pending.set(namespace, rooms);
    let pending = rooms.get(room);
    if (!pending) rooms.set(room, (pending = { namespace, room, changes: new Map() }));
    return pending;
  }

  private send(pending: PendingRoom): void {
    clearTimeout(pending.timer);
    this.pending.get(pending.namespace)?.delete(pending.room);
    if (pending.changes.size === 0) return;
    const diff: PresenceDiff = { room: pending.room, joined: [], left: [] };
    for (const [userId, change] of pending.changes) diff[change].push(userId);
    pending.namespace.to(pending.room).emit(PRESENCE_DIFF_EVENT, diff);
  }
}
