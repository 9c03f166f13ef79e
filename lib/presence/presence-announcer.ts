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

/**
 * Tells a room's members who entered and left it, as each room's `roomEvents` says: one `presence:diff`
 * per room and interval with the net changes (N users entering one room cost N/interval messages per
 * member, not N), or `presence:join` / `presence:leave` per user, or nothing.
 */
export class PresenceAnnouncer {
  private readonly pending = new Map<Namespace, Map<string, Map<string, PresenceChange>>>();
  private readonly flushLater: () => void;
  private timer?: NodeJS.Timeout;
  private batching = true;

  constructor(
    private readonly eventsIn: (room: string) => PresenceRoomEvents,
    private readonly intervalMs: number,
    logger: Logger,
  ) {
    this.flushLater = guardCallback(logger, 'Sending presence diffs', () => this.flush());
  }

  announce(namespace: Namespace, room: string, userId: string, change: PresenceChange): void {
    const events = this.eventsIn(room);
    if (events === 'each') return void namespace.to(room).emit(change === 'joined' ? PRESENCE_JOIN_EVENT : PRESENCE_LEAVE_EVENT, { room, userId });
    if (events !== 'diff') return;
    this.record(namespace, room, userId, change);
    if (!this.batching) return this.flush();
    this.timer ??= setTimeout(this.flushLater, this.intervalMs).unref();
  }

  /** Sends what is pending and, from now on, each change at once: the server is going away. */
  stopBatching(): void {
    this.batching = false;
    this.flush();
  }

  private record(namespace: Namespace, room: string, userId: string, change: PresenceChange): void {
    const rooms = this.pending.get(namespace) ?? new Map<string, Map<string, PresenceChange>>();
    this.pending.set(namespace, rooms);
    const changes = rooms.get(room) ?? new Map<string, PresenceChange>();
    rooms.set(room, changes);
    // A user who left and came back (or came and left) within one interval made no change to tell.
    if (changes.has(userId) && changes.get(userId) !== change) changes.delete(userId);
    else changes.set(userId, change);
  }

  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    for (const [namespace, rooms] of this.pending) {
      for (const [room, changes] of rooms) {
        if (changes.size === 0) continue;
        const diff: PresenceDiff = { room, joined: [], left: [] };
        for (const [userId, change] of changes) diff[change].push(userId);
        namespace.to(room).emit(PRESENCE_DIFF_EVENT, diff);
      }
    }
    this.pending.clear();
  }
}
