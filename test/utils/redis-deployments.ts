import { Cluster, Redis } from 'ioredis';
import type { RealtimeRedisOptions } from '../../lib/index.js';
import { RedisCluster } from './redis-cluster.js';
import { testRedis } from './redis-server.js';

/** A Redis the cross-instance suites run on, in one of the library's `redis.mode`s. */
export interface RedisDeployment {
  /** The `redis` options of the instances, with this key prefix. */
  options(keyPrefix: string): RealtimeRedisOptions;
  /** The keys holding `text`, on every node. */
  keys(text: string): Promise<string[]>;
  /** The same, per node (the masters of a Cluster). */
  keysPerNode(text: string): Promise<string[][]>;
  stop(): Promise<void>;
}

/**
 * The deployments a parametrised suite runs on: `describe.each(REDIS_DEPLOYMENTS)(..., (name, start) => ...)`.
 * 'sharded, Cluster' is three masters with a replica each.
 */
export const REDIS_DEPLOYMENTS: [string, () => Promise<RedisDeployment>][] = [
  ['pubsub, standalone', () => standalone('pubsub')],
  ['sharded, standalone', () => standalone('sharded')],
  ['sharded, Cluster', cluster],
];

async function standalone(mode: 'pubsub' | 'sharded'): Promise<RedisDeployment> {
  const redis = await testRedis();
  const admin = new Redis(redis.url);
  return withKeys({
    options: (keyPrefix) => ({ url: redis.url, keyPrefix, mode }),
    keysPerNode: async (text) => [await admin.keys(`*${text}*`)],
    async stop() {
      await admin.quit();
      await redis.stop();
    },
  });
}

async function cluster(): Promise<RedisDeployment> {
  const redisCluster = await RedisCluster.start({ replicas: 1 });
  const admin = new Cluster(redisCluster.startupNodes);
  return withKeys({
    options: (keyPrefix) => ({ nodes: redisCluster.startupNodes, keyPrefix, mode: 'sharded' }),
    keysPerNode: (text) => Promise.all(admin.nodes('master').map((node) => node.keys(`*${text}*`))),
    async stop() {
      await admin.quit();
      await redisCluster.stop();
    },
  });
}

/** A deployment's `keys`, from its keys per node. */
function withKeys(deployment: Omit<RedisDeployment, 'keys'>): RedisDeployment {
  return { ...deployment, keys: async (text) => (await deployment.keysPerNode(text)).flat() };
}
