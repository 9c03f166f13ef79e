// The `nestjs-realtime/testing` entry point: helpers for host apps' own tests.
export { connectClient } from './connect-client.js';
export type { ConnectClientOptions } from './connect-client.js';
export { signTestToken } from './sign-test-token.js';
