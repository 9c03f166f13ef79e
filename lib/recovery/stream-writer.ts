import type { Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { RedisClient } from '../redis/redis-connections.js';
import { RESYNC_EVENT } from '../realtime.constants.js';
import { telemetry } from '../observability/realtime-telemetry.js';
import { encodeBroadcastEntry, fieldsOf, type StreamBroadcast, type StreamEntryFields } from './stream-entry.js';

/** The limits of the outage buffer, from the `recovery` options. */
export interface OutageBufferLimits {
  bufferMaxMessages: number;
  bufferMaxAgeMs: number;
}

interface PendingWrite {
  seq: number;
  nsp: string;
  broadcast: StreamBroadcast;
  since: number;
  /** `sent`: XADD in flight; `waiting`: not sent yet; `uncertain`: sent, but the connection dropped before the answer. */
  state: 'sent' | 'waiting' | 'uncertain';
}

/** Who the messages dropped in one namespace were for: everyone, or these rooms. */
interface DroppedRecipients {
  everyone: boolean;
  rooms: Set<string>;
}

const SCAN_BATCH = 1000;
const RETRY_MS = 1000;

/**
 * Appends this process's broadcasts to the recovery stream, in the order they were sent, each once.
 * While Redis is down they wait in a bounded buffer and are written when it returns; a write whose
 * answer the outage swallowed is looked for in the stream before it is written again. What the
 * buffer cannot keep is dropped, warned about once per outage, counted, and its recipients are sent
 * `realtime:resync { reason: 'BUFFER_OVERFLOW' }` once Redis is back.
 */
export class StreamWriter {
  /** Messages dropped since the process started because the outage buffer was full or too old. */
  dropped = 0;
  private readonly uid = `writer-${randomUUID()}`;
  private pending: PendingWrite[] = [];
  private readonly droppedRecipients = new Map<string, DroppedRecipients>();
  private droppedBefore = 0;
  private seq = 0;
  private lastWrittenId = '0-0';
  private down = false;
  private flushing = false;
  private warned = false;
  private retry?: NodeJS.Timeout;

  constructor(
    private readonly client: RedisClient,
    private readonly stream: string,
    private readonly maxLength: number,
    private readonly limits: OutageBufferLimits,
    private readonly logger: Logger,
  ) {}

  /** Writes the broadcast now, or keeps it for when Redis is back. */
  write(nsp: string, broadcast: StreamBroadcast): void {
    const write: PendingWrite = { seq: ++this.seq, nsp, broadcast, since: Date.now(), state: 'waiting' };
    this.pending.push(write);
    if (this.down || this.client.status !== 'ready') {
      telemetry.add('buffered', {});
      return this.goDown();
    }
    this.send(write);
  }

  /** Writes what waited for Redis: called when it is back, and retried every second until it is. */
  async flush(): Promise<void> {
    if (!this.down || this.flushing) return;
    clearTimeout(this.retry);
    this.retry = undefined;
    if (this.client.status !== 'ready') return this.retryLater();
    this.flushing = true;
    try {
      this.dropExpired();
      await this.forgetWritten();
      const droppedNow = this.dropped - this.droppedBefore;
      if (droppedNow) this.logger.warn(`Redis is back: ${droppedNow} messages sent during the outage were dropped (the buffer was full).`);
      this.queueResyncs();
      this.down = false;
      this.warned = false;
      this.droppedBefore = this.dropped;
      for (const write of this.pending) if (write.state !== 'sent') this.send(write);
    } catch {
      this.retryLater();
    } finally {
      this.flushing = false;
    }
  }

  /** Stops retrying; what is still buffered is dropped with the process. */
  close(): void {
    clearTimeout(this.retry);
  }

  private send(write: PendingWrite): void {
    write.state = 'sent';
    const fields = encodeBroadcastEntry(this.uid, write.seq, write.nsp, write.broadcast);
    this.xadd(fields).then(
      (id) => {
        this.pending.splice(this.pending.indexOf(write), 1);
        if (id) this.lastWrittenId = id;
      },
      () => {
        write.state = 'uncertain';
        telemetry.add('buffered', {});
        this.goDown();
      },
    );
  }

  private xadd(fields: StreamEntryFields): Promise<string | null> {
    return this.client.xadd(this.stream, 'MAXLEN', '~', this.maxLength, '*', ...Object.entries(fields).flat());
  }

  private goDown(): void {
    this.down = true;
    this.dropOverflow();
    this.retryLater();
  }

  private retryLater(): void {
    this.retry ??= setTimeout(() => {
      this.retry = undefined;
      void this.flush();
    }, RETRY_MS).unref();
  }

  /** Writes whose answer was lost: those found in the stream after the last known write are not sent again. */
  private async forgetWritten(): Promise<void> {
    const uncertain = new Map(this.pending.filter((write) => write.state === 'uncertain').map((write) => [String(write.seq), write]));
    if (uncertain.size === 0) return;
    let from = this.lastWrittenId;
    for (;;) {
      const entries = (await this.client.xrange(this.stream, `(${from}`, '+', 'COUNT', SCAN_BATCH)) as [string, string[]][];
      for (const [id, flat] of entries) {
        const fields = fieldsOf(flat);
        const written = fields.uid === this.uid ? uncertain.get(fields.seq) : undefined;
        if (written) this.pending.splice(this.pending.indexOf(written), 1);
        from = id;
      }
      if (entries.length < SCAN_BATCH) break;
    }
    this.pending.forEach((write) => write.state === 'uncertain' && (write.state = 'waiting'));
  }

  /** Keeps at most `bufferMaxMessages` unconfirmed writes, dropping the oldest not in flight. */
  private dropOverflow(): void {
    while (this.pending.length > this.limits.bufferMaxMessages) {
      const oldest = this.pending.findIndex((write) => write.state !== 'sent');
      if (oldest === -1) return;
      this.drop(this.pending.splice(oldest, 1));
    }
  }

  private dropExpired(): void {
    const oldest = Date.now() - this.limits.bufferMaxAgeMs;
    const expired = this.pending.filter((write) => write.state !== 'sent' && write.since < oldest);
    if (expired.length === 0) return;
    this.pending = this.pending.filter((write) => write.state === 'sent' || write.since >= oldest);
    this.drop(expired);
  }

  /** Counts writes taken out of the buffer, notes their recipients for the resync, and warns once per outage. */
  private drop(writes: PendingWrite[]): void {
    this.dropped += writes.length;
    telemetry.add('dropped', {}, writes.length);
    for (const { nsp, broadcast } of writes) {
      const recipients = this.droppedRecipients.get(nsp) ?? { everyone: false, rooms: new Set<string>() };
      if (broadcast.opts.rooms.length === 0) recipients.everyone = true;
      broadcast.opts.rooms.forEach((room) => recipients.rooms.add(room));
      this.droppedRecipients.set(nsp, recipients);
    }
    if (this.warned) return;
    this.warned = true;
    this.logger.warn(
      `Redis is down and the recovery buffer is full (recovery.bufferMaxMessages ${this.limits.bufferMaxMessages}, ` +
        `bufferMaxAgeMs ${this.limits.bufferMaxAgeMs}): the oldest messages are dropped, and their recipients get ` +
        `"${RESYNC_EVENT}" { reason: 'BUFFER_OVERFLOW' } when Redis is back.`,
    );
  }

  /** After the messages that waited, one `realtime:resync` per namespace to those whose messages were dropped. */
  private queueResyncs(): void {
    for (const [nsp, { everyone, rooms }] of this.droppedRecipients) {
      const packet = { type: 2, data: [RESYNC_EVENT, { reason: 'BUFFER_OVERFLOW' }], nsp };
      const broadcast = { packet, opts: { rooms: everyone ? [] : [...rooms], except: [], flags: {} } };
      this.pending.push({ seq: ++this.seq, nsp, broadcast, since: Date.now(), state: 'waiting' });
    }
    this.droppedRecipients.clear();
  }
}
