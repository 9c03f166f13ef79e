import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { RedisServer } from './redis-server.js';

const run = promisify(execFile);

/**
 * A private Redis Cluster of three masters (and `replicas` replicas of each) on free loopback ports.
 * Nodes are declared failed after 1 s (Redis's default is 15 s), so a replica takes over a stopped
 * master within a few seconds.
 */
export class RedisCluster {
  private constructor(
    private readonly nodes: RedisServer[],
    private readonly dir: string,
  ) {}

  get startupNodes(): { host: string; port: number }[] {
    return this.nodes.map((node) => ({ host: '127.0.0.1', port: node.port }));
  }

  static async start({ replicas = 0 } = {}): Promise<RedisCluster> {
    const dir = await mkdtemp(join(tmpdir(), 'nestjs-realtime-cluster-'));
    const args = ['--cluster-enabled', 'yes', '--cluster-config-file', join(dir, 'nodes-{port}.conf'), '--dir', dir];
    // Failed after 1 s; replicas sync at once and may always take over (a test stops a master right away).
    const failover = ['--cluster-node-timeout', '1000', '--repl-diskless-sync-delay', '0', '--cluster-replica-validity-factor', '0'];
    const nodes = await Promise.all(Array.from({ length: 3 * (1 + replicas) }, () => RedisServer.start([...args, ...failover])));
    const cluster = new RedisCluster(nodes, dir);
    const addresses = nodes.map((node) => `127.0.0.1:${node.port}`);
    await run('redis-cli', ['--cluster', 'create', ...addresses, '--cluster-replicas', String(replicas), '--cluster-yes']);
    await cluster.waitUntilOk(nodes);
    await cluster.waitUntilReplicasInSync();
    return cluster;
  }

  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((node) => node.stop()));
    await rm(this.dir, { recursive: true, force: true });
  }

  /** The masters' ports, as the cluster sees them now. */
  private async masters(): Promise<number[]> {
    const roles = await Promise.all(this.live().map(async (node) => ({ node, role: (await cli(node, 'role')).split('\n')[0] })));
    return roles.filter(({ role }) => role === 'master').map(({ node }) => node.port);
  }

  /** Stops the master of one shard as a crash would, and resolves once its replica has taken over. */
  async crashMaster(port: number): Promise<void> {
    const master = this.nodes.find((node) => node.port === port)!;
    await master.stop();
    const deadline = Date.now() + 20_000;
    while ((await this.masters()).length < 3) {
      if (Date.now() > deadline) throw new Error(`no replica took over from the master on port ${port}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await this.waitUntilOk(this.live());
  }

  private async waitUntilReplicasInSync(): Promise<void> {
    const deadline = Date.now() + 20_000;
    for (const node of this.nodes) {
      while ((await cli(node, 'role')).startsWith('slave') && !(await cli(node, 'info', 'replication')).includes('master_link_status:up')) {
        if (Date.now() > deadline) throw new Error(`Redis Cluster replica ${node.port} not in sync with its master`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  }

  private live(): RedisServer[] {
    return this.nodes.filter((node) => node.running);
  }

  /** Every given node agrees the cluster is up (slots assigned and gossiped, failovers done). */
  private async waitUntilOk(nodes: RedisServer[]): Promise<void> {
    const deadline = Date.now() + 20_000;
    for (const node of nodes) {
      for (;;) {
        const info = await cli(node, 'cluster', 'info');
        if (info.includes('cluster_state:ok')) break;
        if (Date.now() > deadline) throw new Error(`Redis Cluster node ${node.port} not ok:\n${info}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  }
}

async function cli(node: RedisServer, ...args: string[]): Promise<string> {
  return (await run('redis-cli', ['-p', String(node.port), ...args])).stdout;
}
