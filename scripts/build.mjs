// Builds ESM (dist/esm, for Nest 12 and ESM apps) and CommonJS (dist/cjs, for Nest 11 apps and
// CommonJS Jest) from the same sources; package.json "exports" picks one per importer.
import { execFileSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';

const tsc = (...args) =>
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json', ...args], {
    stdio: 'inherit',
  });

rmSync('dist', { recursive: true, force: true });
tsc();
tsc('--module', 'commonjs', '--moduleResolution', 'bundler', '--outDir', 'dist/cjs');
writeFileSync('dist/cjs/package.json', '{ "type": "commonjs" }\n');
