import { decode } from '@msgpack/msgpack';
import { compareStreamIds, encodeBroadcastEntry, isRecipient, replayableBroadcast } from './stream-entry.js';

describe('stream entries in the format of @socket.io/redis-streams-adapter', () => {
  const broadcast = { packet: { type: 2, data: ['tick', { n: 1 }], nsp: '/' }, opts: { rooms: ['lobby'], except: [], flags: {} } };

  it('encodes a broadcast as the adapter does: JSON, or msgpack in base64 when it holds binary; plus our sequence number', () => {
    expect(encodeBroadcastEntry('w1', 7, '/', broadcast)).toEqual({
      uid: 'w1',
      nsp: '/',
      type: '3',
      data: JSON.stringify(broadcast),
      seq: '7',
    });
    const binary = { ...broadcast, packet: { ...broadcast.packet, data: ['file', Buffer.from([1, 2])] } };
    const { data } = encodeBroadcastEntry('w1', 8, '/', binary);
    const decoded = decode(Buffer.from(data, 'base64')) as { packet: { data: [string, Uint8Array] } };
    expect([decoded.packet.data[0], [...decoded.packet.data[1]]]).toEqual(['file', [1, 2]]);
  });

  it('replays event broadcasts of the namespace only: not acks, volatile ones, other namespaces or other types', () => {
    const fields = encodeBroadcastEntry('w1', 1, '/', broadcast);
    expect(replayableBroadcast(fields, '/')).toEqual(broadcast);
    expect(replayableBroadcast(fields, '/chat')).toBeUndefined();
    expect(replayableBroadcast({ ...fields, type: '4' }, '/')).toBeUndefined();
    const withAck = { ...broadcast, packet: { ...broadcast.packet, id: 3 } };
    expect(replayableBroadcast(encodeBroadcastEntry('w1', 2, '/', withAck), '/')).toBeUndefined();
    const volatile = { ...broadcast, opts: { ...broadcast.opts, flags: { volatile: true } } };
    expect(replayableBroadcast(encodeBroadcastEntry('w1', 3, '/', volatile), '/')).toBeUndefined();
  });

  it('tells recipients as socket.io does: in one of the rooms (or all), in none of the excepted', () => {
    expect(isRecipient(new Set(['s1', 'lobby']), { rooms: ['lobby'], except: [] })).toBe(true);
    expect(isRecipient(new Set(['s1']), { rooms: [], except: [] })).toBe(true);
    expect(isRecipient(new Set(['s1', 'lobby']), { rooms: [], except: ['s1'] })).toBe(false);
    expect(isRecipient(new Set(['s1']), { rooms: ['lobby'], except: [] })).toBe(false);
  });

  it('orders stream ids by time, then sequence, numerically', () => {
    expect(compareStreamIds('1000-2', '1000-10')).toBeLessThan(0);
    expect(compareStreamIds('999-5', '1000-0')).toBeLessThan(0);
    expect(compareStreamIds('1000-0', '1000-0')).toBe(0);
  });
});
