import { Logger } from '@nestjs/common';

// As on a machine where @encharm/cws has no binary for the platform and Node version.
const { jest } = import.meta as unknown as { jest: { unstable_mockModule(name: string, factory: () => unknown): void } };
jest.unstable_mockModule('@encharm/cws', () => {
  throw new Error('Cannot find module ../dist/bindings/cws_linux_x64_node137\nRequire stack: ...');
});
const { loadWsEngine } = await import('./load-ws-engine.js');

describe('loadWsEngine', () => {
  const warnings: string[] = [];
  Logger.overrideLogger({ log: () => undefined, error: () => undefined, warn: (message: unknown) => warnings.push(String(message)) });
  beforeEach(() => (warnings.length = 0));

  it("gives socket.io's own engine for 'ws', without trying cWS", async () => {
    expect(await loadWsEngine('ws')).toBeUndefined();
    expect(warnings).toEqual([]);
  });

  it('falls back to ws when @encharm/cws cannot be loaded, in one warning that names the cause and the fix', async () => {
    expect(await loadWsEngine('cws')).toBeUndefined();
    expect(warnings).toEqual([
      "engine 'cws': @encharm/cws could not be loaded (Cannot find module ../dist/bindings/cws_linux_x64_node137), so socket.io runs on ws. Install it with: npm install @encharm/cws",
    ]);
  });
});
