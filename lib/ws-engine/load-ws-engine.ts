import { Logger } from '@nestjs/common';
import type { RealtimeEngine } from '../realtime-options.interface.js';
import { cwsWsServer, type CwsModule } from './cws-ws-server.js';

/** socket.io's `wsEngine` option: a class engine.io makes its WebSocket server with. */
export type WsEngine = ReturnType<typeof cwsWsServer>;

const logger = new Logger('RealtimeEngine');

/**
 * The `wsEngine` of `engine`: none for `'ws'` (socket.io's default); for `'cws'`, cWS when
 * `@encharm/cws` loads, and when it does not (not installed, no binary for this platform and Node
 * version) none, with one log line that says why and how to fix it.
 */
export async function loadWsEngine(engine: RealtimeEngine): Promise<WsEngine | undefined> {
  if (engine === 'ws') return undefined;
  try {
    const loaded = (await import('@encharm/cws')) as CwsModule & { default?: CwsModule };
    return cwsWsServer(loaded.default ?? loaded);
  } catch (error) {
    const reason = ((error as Error).message ?? String(error)).split('\n')[0];
    logger.warn(
      `engine 'cws': @encharm/cws could not be loaded (${reason}), so socket.io runs on ws. Install it with: npm install @encharm/cws`,
    );
    return undefined;
  }
}
