import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { testRedis } from '../utils/redis-server.js';
import { readmeTypeScript } from './readme-blocks.js';
import { uniquePrefix } from '../utils/test-bed.js';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));
const fixtures = join(root, 'test/package/fixtures');
const npm = (cwd: string, ...args: string[]) =>
  run('npm', [...args, '--no-audit', '--no-fund', '--prefer-offline'], { cwd, maxBuffer: 1 << 24 });

/** Every installed copy of `socket.io` under a host app: more than one breaks the app's types. */
async function socketIoCopies(dir: string): Promise<string[]> {
  const entries = await readdir(join(dir, 'node_modules'), { recursive: true });
  return entries.filter((entry) => /(^|\/)socket\.io\/package\.json$/.test(entry));
}

/** A scratch host app made from a fixture, with the packed library installed as a user would. */
async function hostApp(fixture: string, manifest: object): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `nestjs-realtime-${fixture}-`));
  await cp(join(fixtures, fixture), dir, { recursive: true });
  await writeFile(join(dir, 'package.json'), JSON.stringify(manifest, null, 2));
  await npm(dir, 'install');
  return dir;
}

const INSTALL_TIMEOUT_MS = 300_000; // npm install of a whole host app, from the cache when warm

/** What `nest new` puts in a Nest 11 app's dependencies. */
const nest11App = {
  '@nestjs/common': '^11.0.0',
  '@nestjs/core': '^11.0.0',
  '@nestjs/platform-express': '^11.0.0',
  'reflect-metadata': '^0.2.0',
  rxjs: '^7.8.0',
};

/** The arguments of the README's install line for a Nest major, the package name replaced by the packed tarball. */
async function readmeInstallLine(major: number, tarball: string): Promise<string[]> {
  const readme = await readFile(join(root, 'README.md'), 'utf8');
  const line = readme.split('\n').find((text) => text.startsWith('npm install nestjs-realtime') && text.includes(`@^${major}`));
  if (!line) throw new Error(`README.md has no install line for Nest ${major}`);
  return line
    .split(/\s+/)
    .slice(2)
    .map((arg) => (arg === 'nestjs-realtime' ? tarball : arg));
}
const nest12 = {
  '@nestjs/common': '^12.0.0',
  '@nestjs/core': '^12.0.0',
  '@nestjs/platform-express': '^12.0.0',
  '@nestjs/websockets': '^12.0.0',
  '@nestjs/platform-socket.io': '^12.0.0',
};

describe('the packed library in host apps (npm pack, npm install)', () => {
  let redis: Awaited<ReturnType<typeof testRedis>>;
  let scratch: string;
  let tarball: string;
  const env = () => ({ ...process.env, REDIS_URL: redis.url, KEY_PREFIX: uniquePrefix('package') });

  beforeAll(async () => {
    redis = await testRedis();
    scratch = await mkdtemp(join(tmpdir(), 'nestjs-realtime-pack-'));
    const { stdout } = await npm(root, 'pack', '--pack-destination', scratch, '--silent');
    tarball = join(scratch, stdout.trim().split('\n').pop()!);
  }, INSTALL_TIMEOUT_MS);
  afterAll(async () => {
    await rm(scratch, { recursive: true, force: true });
    await redis.stop();
  });

  it('ships every file its exports map names, and no tests', async () => {
    const { stdout } = await run('tar', ['-tzf', tarball]);
    const files = stdout
      .split('\n')
      .filter(Boolean)
      .map((file) => file.replace(/^package\//, ''));
    const manifest = JSON.parse(await readFile(join(root, 'package.json'), 'utf8'));
    const targets = JSON.stringify(manifest.exports).match(/\.\/dist\/[^"]+/g)!;

    expect(targets).toHaveLength(16); // four entry points (root, testing, terminus, ws), ESM and CommonJS, code and types
    for (const target of targets) expect(files).toContain(target.slice(2));
    expect(files).toContain('dist/cjs/package.json'); // marks dist/cjs as CommonJS inside a "type": "module" package
    expect(files.filter((file) => /\.spec\.|^test\/|^lib\//.test(file))).toEqual([]);
  });

  it('compiles the example against the built package, as `npm run example` does', async () => {
    // npm pack ran the build; the example resolves `nestjs-realtime` to it through the package's own name
    await expect(
      run(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'examples/chat', '--noEmit'], { cwd: root }),
    ).resolves.toBeDefined();
  }, 60_000);

  describe("in a Nest 11 app laid out as `nest new` makes it, installed with the README's Nest 11 line", () => {
    let dir: string;

    beforeAll(async () => {
      dir = await hostApp('nest11-cjs', {
        name: 'host-nest11-cjs',
        private: true,
        // @nestjs/config: the README's Quick start reads its configuration with it;
        // @nestjs/terminus and @nestjs/platform-ws: the README's health check and native ws gateway
        dependencies: { ...nest11App, '@nestjs/config': '^4.0.0', '@nestjs/terminus': '^11.0.0', '@nestjs/platform-ws': '^11.0.0' },
        devDependencies: {
          jest: '^30.0.0',
          'ts-jest': '^29.4.0',
          typescript: '~5.9.0',
          '@types/jest': '^30.0.0',
          '@types/node': '^20.0.0',
          'socket.io-client': '^4.8.0',
          '@types/ws': '^8.5.0',
        },
        jest: {
          moduleFileExtensions: ['js', 'json', 'ts'],
          rootDir: 'src',
          testRegex: '.*\\.spec\\.ts$',
          transform: { '^.+\\.(t|j)s$': 'ts-jest' },
          testEnvironment: 'node',
        },
      });
      await npm(dir, 'install', ...(await readmeInstallLine(11, tarball))); // as the README says, nothing added
    }, INSTALL_TIMEOUT_MS);
    afterAll(() => rm(dir, { recursive: true, force: true }));

    it('works under its own CommonJS Jest, type-checked with TypeScript 5', async () => {
      expect(await socketIoCopies(dir)).toEqual(['socket.io/package.json']);
      await run(process.execPath, ['node_modules/typescript/bin/tsc', '--noEmit', '-p', '.'], { cwd: dir });
      const { stderr } = await run(process.execPath, ['node_modules/jest/bin/jest.js'], { cwd: dir, env: env() });
      expect(stderr).toMatch(/Tests:\s+2 passed, 2 total/);
    }, 60_000);

    it('compiles every TypeScript block of the README, so that the README cannot drift from the API', async () => {
      const readme = join(dir, 'readme');
      await mkdir(readme);
      const files = await readmeTypeScript(join(root, 'README.md'));
      for (const [name, text] of files) await writeFile(join(readme, name), text);
      const tsconfig = { extends: '../tsconfig.json', compilerOptions: { noEmit: true, incremental: false }, include: ['*.ts'] };
      await writeFile(join(readme, 'tsconfig.json'), JSON.stringify(tsconfig));

      const compiled = await run(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'readme'], { cwd: dir }).then(
        () => 'no errors',
        (error: { stdout: string }) => error.stdout,
      );
      expect(files.size).toBeGreaterThanOrEqual(15);
      expect(compiled).toBe('no errors');
    }, 60_000);
  });

  it(
    'works in a Nest 12 ESM app run by plain node, which then exits by itself (nothing left open)',
    async () => {
      const dir = await hostApp('nest12-esm', {
        name: 'host-nest12-esm',
        private: true,
        type: 'module',
        dependencies: {
          ...nest12,
          'nestjs-realtime': `file:${tarball}`,
          '@nestjs/terminus': '^12.0.0',
          'reflect-metadata': '^0.2.0',
          rxjs: '^7.8.0',
          'socket.io-client': '^4.8.0',
        },
        devDependencies: { typescript: '6.0.3', '@types/node': '^20.0.0' },
      });
      try {
        expect(await socketIoCopies(dir)).toEqual(['socket.io/package.json']);
        await run(process.execPath, ['node_modules/typescript/bin/tsc', '-p', '.'], { cwd: dir });
        const { stdout } = await run(process.execPath, ['dist/main.js'], { cwd: dir, env: env(), timeout: 20_000 });
        expect(stdout).toContain('echo: from nest 12');
        expect(stdout).toContain('health: up, sockets 1');
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
    INSTALL_TIMEOUT_MS,
  );
});
