import type { Cluster, Redis } from 'ioredis';
import { isCluster, type RedisClient } from '../redis/redis-connections.js';

/**
 * How many instances listen on a sharded channel: PUBSUB SHARDNUMSUB on the master of the channel's
 * slot, where its subscriptions live. (The sharded adapter asks every node of a Cluster, replicas and
 * a failed master included: after a failover, every `fetchSockets` and cluster-wide request rejected
 * with "Connection is closed" until ioredis dropped the failed node.) The slot is asked once per channel.
 */
export class ShardSubscriberCount {
  private readonly slots = new Map<string, number>();

  constructor(private readonly client: RedisClient) {}

  async of(channel: string): Promise<number> {
    const node = isCluster(this.client) ? await this.masterOf(this.client, channel) : this.client;
    const [, count] = (await node.call('PUBSUB', 'SHARDNUMSUB', channel)) as [string, number];
    return count;
  }

  /**
   * The live master of the channel's slot. A connection that only publishes learns of a failover late
   * (its slot map can still name the failed master, which its pool has dropped): then the map is
   * refreshed once before giving up.
   */
  private async masterOf(cluster: Cluster, channel: string): Promise<Redis> {
    let slot = this.slots.get(channel);
    if (slot === undefined) this.slots.set(channel, (slot = Number(await cluster.call('CLUSTER', 'KEYSLOT', channel))));
    const node = liveMasterOf(cluster, slot) ?? (await refreshedSlots(cluster), liveMasterOf(cluster, slot));
    if (!node) throw new Error(`No master of the Redis Cluster serves slot ${slot} (of channel ${channel}) right now`);
    return node;
  }
}

function liveMasterOf(cluster: Cluster, slot: number): Redis | undefined {
  const [master] = cluster.slots[slot] ?? [];
  return cluster.nodes('master').find(({ options, status }) => `${options.host}:${options.port}` === master && status !== 'end');
}

function refreshedSlots(cluster: Cluster): Promise<void> {
  return new Promise((resolve, reject) => cluster.refreshSlotsCache((error) => (error ? reject(error) : resolve())));
}
