import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { RealtimeModuleOptions } from '../../lib/index.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** The library compiled (ESM) for processes a test starts, apart from `dist`, which packaging owns. */
export interface CompiledLibrary {
  dir: string;
  remove(): Promise<void>;
}

/** Compiles the library into a directory of this test's own (inside the repo, so it resolves node_modules). */
export async function buildLibraryForInstances(): Promise<CompiledLibrary> {
  const dir = `${root}.test-output/library-${randomUUID()}`;
  const tsc = `${root}node_modules/typescript/bin/tsc`;
  await promisify(execFile)(process.execPath, [
    tsc,
    '-p',
    `${root}tsconfig.build.json`,
    '--outDir',
    dir,
    '--declaration',
    'false',
    '--sourceMap',
    'false',
  ]);
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** Runs test/fixtures/worker.mjs: a process with no socket server that sends `job:done` to the user. */
export async function runWorker(library: CompiledLibrary, options: RealtimeModuleOptions, userId: string): Promise<void> {
  await promisify(execFile)(process.execPath, [`${root}test/fixtures/worker.mjs`], {
    env: { ...process.env, LIBRARY_DIR: library.dir, REALTIME_OPTIONS: JSON.stringify(options), USER_ID: userId },
    timeout: 20_000,
  });
}

/** An app instance in its own process, which a test can SIGKILL as a crash would. */
export class InstanceProcess {
  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
    private readonly stdout: string[],
  ) {}

  /**
   * Runs test/fixtures/instance.mjs, or another app of test/fixtures that prints "listening <port>" too
   * (`env`: what else that app reads).
   */
  static async start(
    library: CompiledLibrary,
    options: RealtimeModuleOptions,
    app = 'instance.mjs',
    env: Record<string, string> = {},
  ): Promise<InstanceProcess> {
    const child = spawn(process.execPath, [`${root}test/fixtures/${app}`], {
      env: { ...process.env, ...env, LIBRARY_DIR: library.dir, REALTIME_OPTIONS: JSON.stringify(options) },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const stdout: string[] = [];
    const port = await new Promise<string>((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`instance exited with ${code} before listening`)));
      child.stdout.on('data', (chunk: Buffer) => {
        const text = chunk.toString();
        stdout.push(text);
        const match = /listening (\d+)/.exec(text);
        if (match) resolve(match[1]);
      });
    });
    child.removeAllListeners('exit');
    return new InstanceProcess(child, `http://127.0.0.1:${port}`, stdout);
  }

  /** What the process printed so far (the app's log lines but errors). */
  get output(): string {
    return this.stdout.join('');
  }

  /** The port the instance listens on. */
  get port(): number {
    return Number(new URL(this.url).port);
  }

  /**
   * Stops the process as a deploy does: SIGTERM, which runs the app's shutdown hooks (`app.close()`);
   * resolves with how it ended.
   */
  async terminate(signal: NodeJS.Signals = 'SIGTERM'): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.running) {
      this.child.kill(signal);
      await once(this.child, 'exit');
    }
    return { code: this.child.exitCode, signal: this.child.signalCode };
  }

  /** Freezes the process (SIGSTOP): its connections stay open and it answers nothing, as a hung instance. */
  pause(): void {
    this.child.kill('SIGSTOP');
  }

  resume(): void {
    this.child.kill('SIGCONT');
  }

  /** Whether the process is still running (it did not crash). */
  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Ends the process at once: no shutdown hooks, no cleanup, as a crash. */
  async kill(): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGKILL');
    await once(this.child, 'exit');
  }
}
