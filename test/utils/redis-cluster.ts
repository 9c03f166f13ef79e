import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { RedisServer } from './redis-server.js';

const run = promisify(execFile);

/** A private three-master Redis Cluster on free loopback ports, for tests of ioredis Cluster support. */
export class RedisCluster {
  private constructor(
    private readonly nodes: RedisServer[],
    private readonly dir: string,
  ) {}

  get startupNodes(): { host: string; port: number }[] {
    return this.nodes.map((node) => ({ host: '127.0.0.1', port: node.port }));
  }

  static async start(): Promise<RedisCluster> {
    const dir = await mkdtemp(join(tmpdir(), 'nestjs-realtime-cluster-'));
    const args = ['--cluster-enabled', 'yes', '--cluster-config-file', join(dir, 'nodes-{port}.conf'), '--dir', dir];
    const nodes = await Promise.all([0, 1, 2].map(() => RedisServer.start(args)));
    const cluster = new RedisCluster(nodes, dir);
    const addresses = nodes.map((node) => `127.0.0.1:${node.port}`);
    await run('redis-cli', ['--cluster', 'create', ...addresses, '--cluster-replicas', '0', '--cluster-yes']);
    await cluster.waitUntilReady();
    return cluster;
  }

  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((node) => node.stop()));
    await rm(this.dir, { recursive: true, force: true });
  }

  /** Every node agrees the cluster is up (slots assigned and gossiped). */
  private async waitUntilReady(): Promise<void> {
    const deadline = Date.now() + 10_000;
    for (const node of this.nodes) {
      for (;;) {
        const { stdout } = await run('redis-cli', ['-p', String(node.port), 'cluster', 'info']);
        if (stdout.includes('cluster_state:ok')) break;
        if (Date.now() > deadline) throw new Error(`Redis Cluster node ${node.port} not ready:\n${stdout}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  }
}
