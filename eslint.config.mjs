// Type-aware linting. The rules that matter most here: an un-awaited Redis or socket call
// (no-floating-promises) and a promise handed where a callback is expected (no-misused-promises).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', '.test-output/', 'coverage/', 'examples/*/dist/', 'examples/chat/public/', 'test/package/fixtures/'] },
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      // The root tsconfig, which maps 'nestjs-realtime' to lib/; the example's own resolves it to dist/,
      // which a clean checkout does not have before a build. (The .mjs/.cjs files are not type-checked.)
      parserOptions: { project: ['./tsconfig.json'], tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // An async method without await is how a Promise-returning interface does synchronous work, its throws becoming rejections.
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    // Tests assert on payloads typed `any` (acks, socket.io's socket.data); the promise rules stay on.
    files: ['test/**/*.ts', 'examples/**/*spec.ts', '**/*.spec.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
    },
  },
  {
    // Plain JavaScript (bench, fixtures): type-checked by bench/tsconfig.json where it counts, linted for the rest.
    files: ['**/*.mjs', '**/*.cjs'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        performance: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        setImmediate: 'readonly',
        URL: 'readonly',
        Buffer: 'readonly',
        WebSocket: 'readonly',
        global: 'readonly',
        module: 'writable',
        require: 'readonly',
        __dirname: 'readonly',
      },
    },
  },
);
