import type { Config } from 'jest';

// Nest 12 is pure ESM, so Jest runs in ESM mode (node --experimental-vm-modules, see `npm test`).
const config: Config = {
  testEnvironment: 'node',
  roots: ['<rootDir>/lib', '<rootDir>/test', '<rootDir>/examples'],
  testMatch: ['**/*.spec.ts', '**/*.e2e-spec.ts'],
  extensionsToTreatAsEsm: ['.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json' }] },
  moduleNameMapper: {
    '^nestjs-realtime$': '<rootDir>/lib/index.ts',
    '^nestjs-realtime/testing$': '<rootDir>/lib/testing/index.ts',
    '^nestjs-realtime/terminus$': '<rootDir>/lib/terminus/index.ts',
    '^nestjs-realtime/ws$': '<rootDir>/lib/ws/index.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  modulePathIgnorePatterns: ['<rootDir>/dist/', '<rootDir>/.test-output/'],
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/package/fixtures/'],
  testTimeout: 30_000,
  reporters: ['default', '<rootDir>/test/utils/passed-failed.reporter.cjs'],
};

export default config;
