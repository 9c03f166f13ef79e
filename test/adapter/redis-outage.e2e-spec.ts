import type { Socket } from 'socket.io-client';
import { collect, nextEvent } from '../utils/events.js';
import { RedisServer } from '../utils/redis-server.js';
import { TestBed, uniquePrefix } from '../utils/test-bed.js';
import { EchoGateway } from './echo.gateway.js';

/** Shouts from `sender` until `receiver` hears it: Redis resubscribes in the background after a restart. */
async function shoutUntilHeard(sender: Socket, receiver: Socket, text: string, withinMs: number): Promise<void> {
  const heard = nextEvent(receiver, 'shout', withinMs);
  const repeat = setInterval(() => sender.emit('shout', text), 100);
  sender.emit('shout', text);
  try {
    await heard;
  } finally {
    clearInterval(repeat);
  }
}

// An unhandled rejection anywhere in these apps fails the running test (Jest does that by itself).
describe('Redis going away and coming back', () => {
  let redis: RedisServer;
  let bed: TestBed;

  beforeEach(async () => {
    redis = await RedisServer.start(); // always our own: the test kills it
    bed = new TestBed();
  });
  afterEach(async () => {
    await bed.close();
    await redis.stop();
  });

  it('keeps serving local clients during the outage and resumes cross-instance delivery after it', async () => {
    const options = { redis: { url: redis.url, keyPrefix: uniquePrefix('outage') } };
    const [a, b] = await bed.apps(2, { options, providers: [EchoGateway] });
    const [onA, alsoOnA, onB] = await Promise.all([a, a, b].map((app) => bed.client(app)));
    await shoutUntilHeard(onA, onB, 'before', 1000);
    const heardOnB = collect<string>(onB, 'shout');

    await redis.stop();
    await bed.logger.waitFor(/is unavailable/, 2); // both instances noticed

    const local = nextEvent(alsoOnA, 'shout');
    onA.emit('shout', 'during the outage');
    expect(await local).toBe('during the outage');
    expect(await onA.emitWithAck('echo', 'still answering')).toBe('still answering');

    await redis.start();
    const started = Date.now();
    await shoutUntilHeard(onA, onB, 'after', 10_000);

    expect(Date.now() - started).toBeLessThan(10_000);
    expect(heardOnB).not.toContain('during the outage'); // dropped, never replayed late
    expect(bed.logger.lines.filter((line) => line.level === 'error')).toEqual([]);
    await bed.logger.waitFor(/is back/, 2);
  });
});
