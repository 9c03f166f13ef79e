import { channelsSubscribed } from '../../lib/engines/channel-subscriptions.js';
import { RealtimeServerRegistry } from '../../lib/realtime-server.registry.js';
import { collect, nextEvent } from '../utils/events.js';
import { REDIS_DEPLOYMENTS, type RedisDeployment } from '../utils/redis-deployments.js';
import { TestBed, uniquePrefix } from '../utils/test-bed.js';
import { EchoGateway } from './echo.gateway.js';

describe.each(REDIS_DEPLOYMENTS)('several instances over one Redis (%s)', (_deployment, start) => {
  let redis: RedisDeployment;
  let bed: TestBed;

  beforeAll(async () => (redis = await start()), 30_000);
  afterAll(() => redis.stop());
  beforeEach(() => (bed = new TestBed()));
  afterEach(() => bed.close());

  const spec = (keyPrefix: string) => ({ options: { redis: redis.options(keyPrefix) }, providers: [EchoGateway] });

  it('hears the other instances as soon as app.listen() resolved: its subscriptions are confirmed by then', async () => {
    const app = await bed.app(spec(uniquePrefix('listen')));
    let confirmed = false;
    void channelsSubscribed(app.get(RealtimeServerRegistry).server!.of('/')).then(() => (confirmed = true));
    // A confirmation still on its way would be read from the socket after this, in a later turn.
    await new Promise((resolve) => setImmediate(resolve));
    expect(confirmed).toBe(true);
  });

  it('delivers a server.emit on one instance to the clients of every instance', async () => {
    const apps = await bed.apps(3, spec(uniquePrefix('emit')));
    const clients = await Promise.all(apps.map((app) => bed.client(app)));
    const received = Promise.all(clients.map((client) => nextEvent(client, 'shout')));

    clients[0].emit('shout', { text: 'hello' });

    expect(await received).toEqual([{ text: 'hello' }, { text: 'hello' }, { text: 'hello' }]);
  });

  it('delivers a room emit only to room members, on every instance', async () => {
    const [a, b, c] = await bed.apps(3, spec(uniquePrefix('room')));
    const [memberOnB, memberOnC, outsiderOnC, sender] = await Promise.all([b, c, c, a].map((app) => bed.client(app)));
    await Promise.all([memberOnB, memberOnC].map((client) => client.emitWithAck('join', 'lobby')));
    const outsiderGot = collect(outsiderOnC, 'room');
    const received = Promise.all([memberOnB, memberOnC].map((client) => nextEvent(client, 'room')));

    sender.emit('to-room', { room: 'lobby', data: 'to the lobby' });

    expect(await received).toEqual(['to the lobby', 'to the lobby']);
    // the outsider shares an instance with a member, so the emit has been through that instance by now
    expect(await outsiderOnC.emitWithAck('echo', 'ping')).toBe('ping');
    expect(outsiderGot).toEqual([]);
  });

  it('keeps instances with different key prefixes apart', async () => {
    const [app1, app2] = await bed.apps(2, spec(uniquePrefix('one')));
    const [other1, other2] = await bed.apps(2, spec(uniquePrefix('two')));
    const [client1, client2, otherClient1, otherClient2] = await Promise.all([app1, app2, other1, other2].map((app) => bed.client(app)));
    const otherGot = collect(otherClient1, 'shout');

    const reachedSameCluster = nextEvent(client2, 'shout');
    client1.emit('shout', 'prefix one only');
    expect(await reachedSameCluster).toBe('prefix one only');

    // Published later over the same Redis, so a leak of the first message would arrive before it.
    const reachedOther = nextEvent(otherClient1, 'shout');
    otherClient2.emit('shout', 'prefix two');
    expect(await reachedOther).toBe('prefix two');
    expect(otherGot).toEqual(['prefix two']);
  });
});
