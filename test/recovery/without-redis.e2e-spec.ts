import type { Socket } from 'socket.io-client';
import { RESYNC_EVENT, WebsocketBroadcastService } from '../../lib/index.js';
import { signTestToken } from '../../lib/testing/index.js';
import { nextEvent } from '../utils/events.js';
import { TestBed } from '../utils/test-bed.js';
import { NumberedReceiver } from './numbered.js';
import { RecoveryGateway } from './recovery.gateway.js';

const secret = 'recovery-memory-secret';

async function dropConnection(socket: Socket): Promise<void> {
  socket.io.reconnection(false);
  const disconnected = nextEvent(socket, 'disconnect');
  socket.io.engine.close();
  await disconnected;
}

describe('recovery without Redis (socket.io in-memory recovery)', () => {
  let bed: TestBed;
  beforeEach(() => {
    bed = new TestBed();
  });
  afterEach(() => bed.close());

  it('gives the socket back with the messages sent meanwhile, and realtime:resync once the window has passed', async () => {
    const app = await bed.app({ options: { auth: { secret }, recovery: { maxDisconnectionMs: 1000 } }, providers: [RecoveryGateway] });
    const alice = await bed.client(app, { token: signTestToken({ sub: 'alice' }, secret), reconnection: true });
    await alice.emitWithAck('join', 'lobby');
    const ticks = new NumberedReceiver(alice, 'tick');
    const broadcasts = app.get(WebsocketBroadcastService);
    await broadcasts.sendToUser('alice', 'tick', { n: 1 });
    await ticks.until(1);

    await dropConnection(alice);
    for (let n = 2; n <= 20; n++) await broadcasts.sendToRoom('lobby', 'tick', { n });
    alice.connect();
    await ticks.until(20);
    expect(alice.recovered).toBe(true);
    expect(ticks.counts(1, 20)).toEqual({ received: 20, lost: 0, duplicated: 0, outOfOrder: 0 });

    await dropConnection(alice);
    await new Promise((resolve) => setTimeout(resolve, 1200)); // the window passes; nothing to await in memory
    const resync = nextEvent(alice, RESYNC_EVENT);
    alice.connect();
    expect(await resync).toEqual({ reason: 'WINDOW_EXPIRED' });
    expect(alice.recovered).toBe(false);
  });
});
