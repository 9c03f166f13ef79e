import { decode, encode } from '@msgpack/msgpack';
import { hasBinary } from '../engines/has-binary.js';

/** A socket.io event packet as the adapters carry it: `data` is `[event, ...args]`. */
export interface EventPacket {
  type: number;
  data: unknown[];
  nsp?: string;
  /** Set when the sender waits for acknowledgements: such a packet is never kept for recovery. */
  id?: number;
}

/** Who a broadcast goes to, as the socket.io cluster adapters encode it. */
export interface EncodedBroadcastOptions {
  rooms: string[];
  except: string[];
  flags?: { volatile?: boolean; local?: boolean };
}

/** A broadcast in a stream entry: the packet and its recipients. */
export interface StreamBroadcast {
  packet: EventPacket;
  opts: EncodedBroadcastOptions;
}

/** The fields of an entry of `@socket.io/redis-streams-adapter`'s stream, as Redis returns them. */
export type StreamEntryFields = Record<string, string>;

/** Stream entry ids: `<ms>-<sequence>`. */
export const STREAM_ID = /^\d+-\d+$/;

/** The adapter's message type of a broadcast (`MessageType.BROADCAST` of socket.io-adapter). */
const BROADCAST_TYPE = '3';
/** socket.io's `PacketType.EVENT`. */
export const EVENT_PACKET_TYPE = 2;

/**
 * A broadcast as an entry in the adapter's own format (what its `encode()` writes: JSON, or msgpack in
 * base64 when the data holds binary), plus `seq`: the writer's sequence number, by which a write whose
 * outcome an outage hid is found in the stream rather than written twice.
 */
export function encodeBroadcastEntry(uid: string, seq: number, nsp: string, broadcast: StreamBroadcast): StreamEntryFields {
  const data = hasBinary(broadcast) ? Buffer.from(encode(broadcast)).toString('base64') : JSON.stringify(broadcast);
  return { uid, nsp, type: BROADCAST_TYPE, data, seq: String(seq) };
}

/** The broadcast an entry holds for the namespace, when it is one a client may receive again. */
export function replayableBroadcast(fields: StreamEntryFields, nsp: string): StreamBroadcast | undefined {
  if (fields.nsp !== nsp || fields.type !== BROADCAST_TYPE || !fields.data) return undefined;
  const broadcast = (fields.data.startsWith('{') ? JSON.parse(fields.data) : decode(Buffer.from(fields.data, 'base64'))) as StreamBroadcast;
  const { packet, opts } = broadcast;
  const replayable = packet.type === EVENT_PACKET_TYPE && packet.id === undefined && !opts.flags?.volatile;
  return replayable ? broadcast : undefined;
}

/** Whether a socket in `rooms` is among the broadcast's recipients. */
export function isRecipient(rooms: ReadonlySet<unknown>, { rooms: to, except }: EncodedBroadcastOptions): boolean {
  return (to.length === 0 || to.some((room) => rooms.has(room))) && !except.some((room) => rooms.has(room));
}

/** Orders two stream ids: negative when `a` comes first. */
export function compareStreamIds(a: string, b: string): number {
  const [aTime, aSeq] = a.split('-').map(Number);
  const [bTime, bSeq] = b.split('-').map(Number);
  return aTime - bTime || aSeq - bSeq;
}

/** The fields of an entry as ioredis returns them (`[name, value, name, value, ...]`). */
export function fieldsOf(flat: string[]): StreamEntryFields {
  const fields: StreamEntryFields = {};
  for (let i = 0; i < flat.length; i += 2) fields[flat[i]] = flat[i + 1];
  return fields;
}
