import type { Logger } from '@nestjs/common';
import type { EventEmitter } from 'node:events';
import type { Namespace, Socket } from 'socket.io';
import { guardCallback } from '../errors/guard-callback.js';
import type { RedisClient } from '../redis/redis-connections.js';
import { OFFSET_EVENT } from '../realtime.constants.js';
import { reportRecovery, sendResync, type ResyncReason } from './resync.js';
import { pidOf, type SessionKeeper, type StoredSession } from './session-keeper.js';
import {
  compareStreamIds,
  EVENT_PACKET_TYPE,
  fieldsOf,
  isRecipient,
  replayableBroadcast,
  STREAM_ID,
  type EncodedBroadcastOptions,
  type EventPacket,
} from './stream-entry.js';
import type { StreamWriter } from './stream-writer.js';

/** Broadcast options as the in-memory adapter takes them. */
interface BroadcastOptions {
  rooms: Set<string>;
  except: Set<string>;
  flags?: { local?: boolean; volatile?: boolean };
}

/** The parts of `@socket.io/redis-streams-adapter`'s adapter (a socket.io `ClusterAdapter`) that recovery replaces. */
export interface StreamsAdapter extends Pick<EventEmitter, 'on'> {
  nsp: Namespace;
  broadcast(packet: EventPacket, opts: BroadcastOptions): unknown;
  onMessage(message: unknown, offset?: string): void;
  apply(opts: BroadcastOptions, callback: (socket: Socket) => void): void;
  persistSession(session: StoredSession): void;
  restoreSession(pid: string, offset: string): Promise<StoredSession & { missedPackets: unknown[] }>;
}

/** A delivery to a socket held while it catches up, with the stream id of its message. */
interface HeldDelivery {
  offset: string;
  deliver: () => void;
}

/**
 * A recovered socket until this instance's reader has passed what its client already has: `until`,
 * the client's offset and then the last entry replayed to it. Live deliveries up to it are dropped,
 * and those after it are held while the replay runs (`held`, undefined once it is done).
 */
interface CatchUp {
  until: string;
  held?: HeldDelivery[];
}

const REPLAY_BATCH = 1000;
/** How long what a recovery attempt learned waits for its socket to connect (after the middlewares). */
const ATTEMPT_MEMORY_MS = 60_000;

/**
 * Connection state recovery on the streams adapter, with what it lacks for "every missed message, in
 * order, once" (each is a test in test/recovery):
 * - every broadcast reaches every client through the stream, this instance's own too (the adapter
 *   delivers those at once, so a client could see two instances' messages out of stream order, and
 *   after a recovery get one of them twice);
 * - missed messages are replayed when the socket is connected, after the middlewares (socket.io sends
 *   them before the middlewares run, to a client the handshake may then refuse, and drops what is
 *   broadcast while they run), with live deliveries held until the replay is done;
 * - a new socket is sent its starting position (`realtime:offset`), so a client that received nothing
 *   before it lost its connection can recover too;
 * - sessions are kept in Redis while sockets are connected (`SessionKeeper`), for instance crashes;
 * - a failed recovery says why, with `realtime:resync`.
 */
export class StreamRecovery {
  /** The last stream entry this instance delivered: where a new socket starts. */
  private position: string;
  /** The stream id of the entry being delivered, while its delivery runs. */
  private delivering?: string;
  private readonly catchingUp = new Map<string, CatchUp>();
  private readonly replayFrom = new Map<string, string>();
  private readonly failures = new Map<string, ResyncReason>();

  constructor(
    private readonly client: RedisClient,
    private readonly stream: string,
    startPosition: string,
    private readonly writer: StreamWriter,
    private readonly sessions: SessionKeeper,
    private readonly logger: Logger,
  ) {
    this.position = startPosition;
  }

  /** Makes a namespace's streams adapter recover as described above. */
  adapt(adapter: StreamsAdapter): void {
    const namespace = adapter.nsp;
    const broadcast = adapter.broadcast.bind(adapter);
    adapter.broadcast = (packet, opts) => {
      if (opts.flags?.local) return broadcast(packet, opts);
      const encoded: EncodedBroadcastOptions = { rooms: [...opts.rooms], except: [...opts.except], flags: opts.flags ?? {} };
      this.writer.write(namespace.name, { packet, opts: encoded });
    };
    const onMessage = adapter.onMessage.bind(adapter);
    adapter.onMessage = (message, offset) => {
      if (offset === undefined) return onMessage(message);
      this.position = offset;
      this.delivering = offset;
      try {
        onMessage(message, offset);
      } finally {
        this.delivering = undefined;
      }
      if (this.catchingUp.size) this.forgetCaughtUp();
    };
    const apply = adapter.apply.bind(adapter);
    adapter.apply = (opts, callback) =>
      apply(opts, (socket) => {
        const offset = this.delivering;
        const catchUp = offset && this.catchingUp.get(socket.id);
        if (!catchUp) return callback(socket);
        if (compareStreamIds(offset, catchUp.until) <= 0) return; // its client has it already
        if (catchUp.held) catchUp.held.push({ offset, deliver: () => callback(socket) });
        else callback(socket);
      });
    adapter.persistSession = (session) => this.sessions.persist(session);
    adapter.restoreSession = (pid, offset) => this.restore(pid, offset);
    this.sessions.follow(namespace, adapter);
    namespace.on(
      'connection',
      guardCallback(this.logger, `Recovering a socket in ${namespace.name}`, (socket: Socket) => this.onConnection(socket)),
    );
  }

  /** The session for socket.io to rebuild the socket from; the missed messages follow once it is connected. */
  private async restore(pid: string, offset: string): Promise<StoredSession & { missedPackets: unknown[] }> {
    if (!STREAM_ID.test(offset)) throw this.failed(pid, 'INVALID_OFFSET');
    let session: StoredSession | undefined;
    let kept: unknown[];
    try {
      [session, kept] = await Promise.all([this.sessions.take(pid), this.client.xrange(this.stream, offset, offset)]);
    } catch {
      throw this.failed(pid, 'HISTORY_UNAVAILABLE');
    }
    if (!session) throw this.failed(pid, 'WINDOW_EXPIRED');
    if (kept.length === 0) throw this.failed(pid, 'HISTORY_TRIMMED');
    this.remember(this.replayFrom, session.sid, offset);
    return { ...session, missedPackets: [] };
  }

  private failed(pid: string, reason: ResyncReason): Error {
    this.remember(this.failures, pid, reason);
    return new Error(`cannot recover: ${reason}`);
  }

  private onConnection(socket: Socket): void {
    reportRecovery(socket, (pid) => {
      const reason = this.failures.get(pid);
      this.failures.delete(pid);
      return reason;
    });
    if (socket.recovered) {
      const from = this.replayFrom.get(socket.id);
      this.replayFrom.delete(socket.id);
      if (from) void this.catchUp(socket, from);
      return;
    }
    // Straight to the client: the position must not become a stream entry of its own.
    if (pidOf(socket)) sendEvent(socket, [OFFSET_EVENT, this.position]);
  }

  /**
   * Sends the socket what the stream holds for it after `from`, up to where this instance's reader is,
   * while live deliveries to it wait; then those of them the replay did not reach. What the reader
   * delivers later is dropped up to the last entry the client has (its client may come from an
   * instance whose reader was ahead). Each message once, in stream order.
   */
  private async catchUp(socket: Socket, from: string): Promise<void> {
    const catchUp: CatchUp = { until: from, held: [] };
    this.catchingUp.set(socket.id, catchUp);
    const end = this.position;
    try {
      while (compareStreamIds(catchUp.until, end) < 0) {
        const entries = (await this.client.xrange(this.stream, `(${catchUp.until}`, end, 'COUNT', REPLAY_BATCH)) as [string, string[]][];
        for (const [id, flat] of entries) {
          catchUp.until = id;
          const broadcast = replayableBroadcast(fieldsOf(flat), socket.nsp.name);
          if (broadcast && isRecipient(socket.rooms, broadcast.opts)) sendEvent(socket, [...broadcast.packet.data, id]);
        }
        if (entries.length < REPLAY_BATCH) catchUp.until = end;
      }
    } catch {
      sendResync(socket, 'HISTORY_UNAVAILABLE');
    } finally {
      const held = catchUp.held ?? [];
      catchUp.held = undefined;
      for (const { offset, deliver } of held) if (compareStreamIds(offset, catchUp.until) > 0) deliver();
      this.forgetCaughtUp();
    }
  }

  /** Sockets past their catch-up whose client has nothing the reader has yet to deliver. */
  private forgetCaughtUp(): void {
    for (const [socketId, { until, held }] of this.catchingUp) {
      if (!held && compareStreamIds(this.position, until) >= 0) this.catchingUp.delete(socketId);
    }
  }

  /** Keeps what a recovery attempt learned until its socket connects, or a minute if it never does. */
  private remember<T>(map: Map<string, T>, key: string, value: T): void {
    map.set(key, value);
    setTimeout(() => map.get(key) === value && map.delete(key), ATTEMPT_MEMORY_MS).unref();
  }
}

/**
 * Sends an event packet to the client without the adapter: with recovery on, `socket.emit()` is a
 * broadcast to the socket's own room, which would append a replayed message to the stream again.
 */
function sendEvent(socket: Socket, data: unknown[]): void {
  (socket as unknown as { packet(packet: { type: number; data: unknown[] }): void }).packet({ type: EVENT_PACKET_TYPE, data });
}
