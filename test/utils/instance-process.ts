import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { RealtimeModuleOptions } from '../../lib/index.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const libraryDir = `${root}.test-output/library`;

/** Compiles the library (ESM) where instance processes load it, apart from `dist` that packaging owns. */
export async function buildLibraryForInstances(): Promise<void> {
  const tsc = `${root}node_modules/typescript/bin/tsc`;
  await promisify(execFile)(process.execPath, [tsc, '-p', `${root}tsconfig.build.json`, '--outDir', libraryDir, '--declaration', 'false', '--sourceMap', 'false']);
}

/** An app instance in its own process, which a test can SIGKILL as a crash would. */
export class InstanceProcess {
  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
  ) {}

  static async start(options: RealtimeModuleOptions): Promise<InstanceProcess> {
    const child = spawn(process.execPath, [`${root}test/presence/fixtures/instance.mjs`], {
      env: { ...process.env, LIBRARY_DIR: libraryDir, REALTIME_OPTIONS: JSON.stringify(options) },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const port = await new Promise<string>((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`instance exited with ${code} before listening`)));
      child.stdout!.on('data', (chunk: Buffer) => {
        const match = /listening (\d+)/.exec(chunk.toString());
        if (match) resolve(match[1]);
      });
    });
    child.removeAllListeners('exit');
    return new InstanceProcess(child, `http://127.0.0.1:${port}`);
  }

  /** Ends the process at once: no shutdown hooks, no cleanup, as a crash. */
  async kill(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGKILL');
    await once(this.child, 'exit');
  }
}
