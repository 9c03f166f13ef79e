import { encode } from '@msgpack/msgpack';
import { createShardedAdapter } from '@socket.io/redis-adapter';
import type { StreamBroadcast } from '../recovery/stream-entry.js';
import type { RedisClient } from '../redis/redis-connections.js';
import type { ResolvedRedisOptions } from '../realtime-options.interface.js';
import { BroadcastPublisher } from './broadcast-publisher.js';
import { hasBinary } from './has-binary.js';
import { awaitRoomSubscriptions, ChannelSubscriptions } from './channel-subscriptions.js';
import { ShardSubscriberCount } from './shard-subscriber-count.js';
import type { AdapterConstructor, RealtimeEngine } from './realtime-engine.interface.js';
import { askingSafelyWhileDown } from './adapter-while-down.js';

/** The adapter's message type of a broadcast (`MessageType.BROADCAST` of socket.io-adapter). */
const BROADCAST_TYPE = 3;
/** The sender id the adapters accept from a process without sockets (socket.io-adapter's `EMITTER_UID`). */
const EMITTER_UID = 'emitter';

/**
 * Redis 7 sharded pub/sub: `@socket.io/redis-adapter`'s `createShardedAdapter` (SPUBLISH, SSUBSCRIBE;
 * a channel per namespace and one per room, each on one shard of a Cluster) and, without sockets, a
 * publisher on the same channels in the adapter's format (the official emitter has no sharded mode).
 * The adapter drops the promises of its publishes and subscriptions, so it gets views of the
 * connections that report such failures as an outage.
 */
export const shardedEngine: RealtimeEngine = {
  adapterConnections: {
    names: ['pub', 'sub'],
    whileDown: 'local clients are still served, cross-instance messages are dropped until it returns',
    sharded: { subscribers: ['sub'] },
  },

  publisherConnections: {
    names: ['emitter'],
    whileDown: 'messages to clients are dropped until it returns',
    sharded: { subscribers: [] },
  },

  async createAdapter(connections, options) {
    const [pub, sub] = connections.clients;
    const subscriptions = new ChannelSubscriptions();
    const adapterFor = createShardedAdapter(
      connections.reportingFailuresOf(pub, ['spublish']),
      subscriptions.follow(connections.subscriberView(sub)),
      { channelPrefix: options.keyPrefix, subscriptionMode: 'dynamic' },
    );
    const subscribers = new ShardSubscriberCount(pub);
    const shardedAdapter = function (namespace: { name: string }) {
      const adapter = adapterFor(namespace);
      awaitRoomSubscriptions(adapter, subscriptions);
      adapter.serverCount = () => subscribers.of(`${options.keyPrefix}#${namespace.name}#`); // see ShardSubscriberCount
      return adapter;
    } as AdapterConstructor;
    return askingSafelyWhileDown(shardedAdapter, connections);
  },

  publisher(connections, options, namespace) {
    const client = connections.reportingFailuresOf(connections.clients[0], ['spublish']);
    return new BroadcastPublisher((broadcast) => publish(client, options, namespace, broadcast), namespace);
  },
};

/**
 * Publishes a broadcast where the sharded adapter listens: the room's own channel when it goes to one
 * room that is not a socket id (the adapter's 'dynamic' mode), else the namespace's channel; as JSON,
 * or msgpack when it holds binary (the adapter decodes both).
 */
function publish(client: RedisClient, options: ResolvedRedisOptions, namespace: string, broadcast: StreamBroadcast): void {
  const [room, ...others] = broadcast.opts.rooms;
  const roomChannel = room !== undefined && others.length === 0 && room.length !== SOCKET_ID_LENGTH;
  const channel = `${options.keyPrefix}#${namespace}#${roomChannel ? `${room}#` : ''}`;
  const message = { uid: EMITTER_UID, nsp: namespace, type: BROADCAST_TYPE, data: broadcast };
  void client.spublish(channel, hasBinary(broadcast) ? Buffer.from(encode(message)) : JSON.stringify(message));
}

/** The adapter takes a room of this length for a socket id, which has no channel of its own. */
const SOCKET_ID_LENGTH = 20;
