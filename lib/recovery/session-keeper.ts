import type { Logger } from '@nestjs/common';
import { decode, encode } from '@msgpack/msgpack';
import type { EventEmitter } from 'node:events';
import type { Namespace, Socket } from 'socket.io';
import { guardCallback } from '../errors/guard-callback.js';
import type { RedisClient } from '../redis/redis-connections.js';
import { isRecoverableDisconnect } from './recoverable-disconnect.js';

/** What socket.io needs to give a socket back: `persistSession()`'s argument. */
export interface StoredSession {
  sid: string;
  pid: string;
  rooms: string[];
  data: unknown;
}

/**
 * Keeps the session of every connected socket in Redis, in the format and under the key socket.io's
 * streams adapter uses when a socket disconnects cleanly, so that the clients of an instance that
 * crashed (no disconnect ran) recover on another. Written on connection and when the socket's rooms
 * change, rewritten every third of the window (which also picks up changes to `socket.data`) and
 * when Redis is back; deleted when the socket leaves for good.
 */
export class SessionKeeper {
  private readonly namespaces = new Set<Namespace>();
  private readonly changed = new Set<Socket>();
  private readonly refresh: NodeJS.Timeout;
  private flushing = false;

  constructor(
    private readonly client: RedisClient,
    private readonly keyPrefix: string,
    private readonly windowMs: number,
    private readonly logger: Logger,
  ) {
    this.refresh = setInterval(
      guardCallback(logger, 'Refreshing recovery sessions', () => this.rewriteAll()),
      windowMs / 3,
    ).unref();
  }

  /** Keeps the sessions of the namespace's sockets from now on; called while its adapter is being built. */
  follow(namespace: Namespace, adapter: Pick<EventEmitter, 'on'>): void {
    this.namespaces.add(namespace);
    const context = `Keeping the recovery session of a socket in ${namespace.name}`;
    const changedRooms = guardCallback(this.logger, context, (_room: unknown, socketId: string) => {
      const socket = namespace.sockets.get(socketId);
      if (socket) this.keep(socket);
    });
    adapter.on('join-room', changedRooms);
    adapter.on('leave-room', changedRooms);
    namespace.on(
      'connection',
      guardCallback(this.logger, context, (socket: Socket) => {
        this.keep(socket);
        socket.once('disconnect', (reason: string) => {
          if (!isRecoverableDisconnect(reason)) this.client.del(this.key(pidOf(socket))).catch(() => undefined);
        });
      }),
    );
  }

  /** The session of `pid`, taken out of Redis (a session recovers one socket, once). */
  async take(pid: string): Promise<StoredSession | undefined> {
    const [[, raw]] = (await this.client.multi().get(this.key(pid)).del(this.key(pid)).exec()) as [[Error | null, string | null]];
    return raw ? (decode(Buffer.from(raw, 'base64')) as StoredSession) : undefined;
  }

  /** Writes every session again: when Redis is back (it may have restarted empty), and every third of the window. */
  rewriteAll(): void {
    for (const namespace of this.namespaces) namespace.sockets.forEach((socket) => this.changed.add(socket));
    this.scheduleFlush();
  }

  /**
   * Writes one session (what socket.io's `persistSession()` does when a socket disconnects cleanly, for
   * the window). Data msgpack cannot encode (a function, say) is logged, not thrown.
   */
  persist(session: StoredSession, ttlMs = this.windowMs): void {
    let value: string;
    try {
      value = Buffer.from(encode(session)).toString('base64');
    } catch (error) {
      return this.logger.warn(
        `The session of socket ${session.sid} cannot be kept for recovery: socket.data holds ${(error as Error).message}`,
      );
    }
    // A failure is an outage (logged by the connection); the rewrite when Redis is back restores it.
    this.client.set(this.key(session.pid), value, 'PX', ttlMs).catch(() => undefined);
  }

  close(): void {
    clearInterval(this.refresh);
  }

  private keep(socket: Socket): void {
    this.changed.add(socket);
    this.scheduleFlush();
  }

  /** One write per socket per tick, after the tick's room changes and the gateway's `handleConnection`. */
  private scheduleFlush(): void {
    if (this.flushing) return;
    this.flushing = true;
    setImmediate(() => {
      this.flushing = false;
      const ttlMs = Math.ceil(this.windowMs + this.windowMs / 3);
      for (const socket of this.changed) {
        const pid = pidOf(socket);
        if (socket.connected && pid) this.persist({ sid: socket.id, pid, rooms: [...socket.rooms], data: socket.data }, ttlMs);
      }
      this.changed.clear();
    });
  }

  private key(pid: string | undefined): string {
    return `${this.keyPrefix}${pid}`;
  }
}

/** The private session id socket.io gives a socket when recovery is on (sent to its client only). */
export function pidOf(socket: Socket): string | undefined {
  return (socket as unknown as { pid?: string }).pid;
}
