import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';

/** A private `redis-server` on a free loopback port, which a test can stop and start again. */
export class RedisServer {
  private process?: ChildProcess;

  private constructor(
    readonly port: number,
    private readonly extraArgs: string[] = [],
  ) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** @param extraArgs more redis-server arguments; `{port}` in them stands for the port. */
  static async start(extraArgs: string[] = []): Promise<RedisServer> {
    const port = await freePort();
    const server = new RedisServer(
      port,
      extraArgs.map((arg) => arg.replaceAll('{port}', String(port))),
    );
    await server.start();
    return server;
  }

  /** Starts (or restarts, on the same port) and resolves once Redis accepts connections. */
  async start(): Promise<void> {
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...this.extraArgs];
    const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.process = child;
    let output = '';
    await new Promise<void>((resolve, reject) => {
      child.once('error', (error) =>
        reject(new Error(`Cannot start redis-server (${error.message}): apt-get install redis-server, or set REDIS_URL.`)),
      );
      child.once('exit', (code) => reject(new Error(`redis-server exited with ${code} before it was ready:\n${output}`)));
      child.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('Ready to accept connections')) resolve();
      });
    });
    child.removeAllListeners('exit');
    child.stdout.removeAllListeners('data').resume();
    child.stderr.resume();
  }

  /** Whether the server runs (started and not stopped). */
  get running(): boolean {
    return this.process !== undefined && this.process.exitCode === null;
  }

  /** Freezes Redis (SIGSTOP): connections stay open and commands go unanswered, as on a hung host. */
  pause(): void {
    this.process?.kill('SIGSTOP');
  }

  /** Thaws Redis after {@link pause}: it runs what it was sent meanwhile. */
  resume(): void {
    this.process?.kill('SIGCONT');
  }

  /** Stops Redis the way a crash would look to clients: every connection drops at once. */
  async stop(): Promise<void> {
    const child = this.process;
    this.process = undefined;
    if (!child || child.exitCode !== null) return;
    child.kill('SIGKILL');
    await once(child, 'exit');
  }
}

/** A port that was free on 127.0.0.1 a moment ago. */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

/** Redis for a test file: `REDIS_URL` when set, else a private server. */
export async function testRedis(): Promise<{ url: string; stop(): Promise<void> }> {
  const url = process.env.REDIS_URL;
  if (url) return { url, stop: async () => undefined };
  return RedisServer.start();
}
