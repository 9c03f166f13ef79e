import { Redis } from 'ioredis';
import { InvalidRealtimeOptionsError } from './errors/invalid-realtime-options.error.js';
import { validateRealtimeOptions } from './realtime-options.validation.js';

function errorOf(options: unknown): Error {
  try {
    validateRealtimeOptions(options);
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the options to be refused');
}

describe('validateRealtimeOptions', () => {
  it('accepts no options (one instance, in-memory adapter)', () => {
    expect(validateRealtimeOptions(undefined)).toEqual({});
    expect(validateRealtimeOptions({})).toEqual({});
  });

  it('accepts every documented option and returns the same object', () => {
    const client = new Redis({ lazyConnect: true });
    const options = {
      redis: { client, keyPrefix: 'chat', requestsTimeout: 2000, mode: 'sharded' as const },
      auth: {
        secret: 's3cret',
        algorithms: ['HS512'],
        issuer: 'me',
        audience: ['a', 'b'],
        clockTolerance: 5,
        required: false,
        validate: () => ({}),
        userId: () => 'u',
        expiryGraceMs: 1000,
      },
      cors: { origin: 'https://app.example.com' },
      path: '/ws',
      transports: ['websocket' as const],
      pingInterval: 10_000,
      pingTimeout: 5000,
      maxHttpBufferSize: 1e5,
      rateLimit: { points: 10, durationMs: 1000 },
      rooms: { authorize: () => true },
      presence: { ttlMs: 10_000, roomEvents: (room: string) => (room.startsWith('live:') ? false : 'diff'), diffIntervalMs: 250 },
    };
    expect(validateRealtimeOptions(options)).toBe(options);
    const recovery = { maxDisconnectionMs: 60_000, streamMaxLength: 50_000, bufferMaxMessages: 0, bufferMaxAgeMs: 10_000 };
    expect(validateRealtimeOptions({ redis: { nodes: [{ host: '10.0.0.1', port: 6379 }], mode: 'pubsub' }, recovery })).toBeDefined();
    expect(
      validateRealtimeOptions({
        redis: { url: 'rediss://u:p@host:6380/1' },
        auth: { publicKey: 'PEM', algorithms: ['ES256'] },
        rateLimit: false,
        presence: false,
        recovery: true,
      }),
    ).toBeDefined();
    client.disconnect();
  });

  it.each([
    [
      'a recovery window under a second',
      { recovery: { maxDisconnectionMs: 500 } },
      'Invalid RealtimeModule option "recovery.maxDisconnectionMs": expected a whole number of ms >= 1000, got the number 500.',
    ],
    [
      'a stream too short to recover from',
      { recovery: { streamMaxLength: 10 } },
      'Invalid RealtimeModule option "recovery.streamMaxLength": expected a whole number of messages >= 1000, got the number 10.',
    ],
    [
      'a negative buffer',
      { recovery: { bufferMaxMessages: -1 } },
      'Invalid RealtimeModule option "recovery.bufferMaxMessages": expected a whole number of messages >= 0, got the number -1.',
    ],
    [
      'a buffer age as a string',
      { recovery: { bufferMaxAgeMs: '30s' } },
      'Invalid RealtimeModule option "recovery.bufferMaxAgeMs": expected a whole number of ms >= 0, got the string "30s".',
    ],
    [
      'an unknown recovery option',
      { recovery: { window: 1000 } },
      'Invalid RealtimeModule option "recovery.window": unknown option. Known options here: maxDisconnectionMs, streamMaxLength, bufferMaxMessages, bufferMaxAgeMs.',
    ],
    [
      'redis is a string',
      { redis: 'redis://localhost:6379' },
      `Invalid RealtimeModule option "redis": expected an object like { url: 'redis://localhost:6379' }, got the string "redis://localhost:6379".`,
    ],
    [
      'an unknown top-level option',
      { cros: {} },
      'Invalid RealtimeModule option "cros": unknown option. Known options here: redis, auth, cors, path, transports, pingInterval, pingTimeout, maxHttpBufferSize, rateLimit, rooms, presence, port, namespace, recovery, engine.',
    ],
    [
      'an unknown redis option',
      { redis: { host: 'localhost' } },
      'Invalid RealtimeModule option "redis.host": unknown option. Known options here: url, nodes, client, keyPrefix, requestsTimeout, mode.',
    ],
    [
      'redis without url, nodes or client',
      { redis: {} },
      'Invalid RealtimeModule option "redis": give "url", "nodes" (a Cluster) or "client". To run one instance without Redis, leave "redis" out.',
    ],
    [
      'redis with url and client',
      { redis: { url: 'redis://a', client: { duplicate() {} } } },
      'Invalid RealtimeModule option "redis": give one of "url", "nodes" (a Cluster) or "client", not "url" and "client".',
    ],
    [
      'cluster nodes without a port',
      { redis: { nodes: [{ host: '10.0.0.1' }] } },
      `Invalid RealtimeModule option "redis.nodes[0]": expected { host: string, port: number }, got the object { host: '10.0.0.1' }.`,
    ],
    [
      'an empty list of cluster nodes',
      { redis: { nodes: [] } },
      `Invalid RealtimeModule option "redis.nodes": expected a non-empty array of startup nodes like [{ host: '10.0.0.1', port: 6379 }], got the array [].`,
    ],
    [
      'an unknown redis mode',
      { redis: { url: 'redis://a', mode: 'streams' } },
      `Invalid RealtimeModule option "redis.mode": expected 'pubsub' or 'sharded', got the string "streams".`,
    ],
    [
      'recovery with sharded pub/sub',
      { redis: { url: 'redis://a', mode: 'sharded' }, recovery: true },
      `Invalid RealtimeModule option "recovery": cannot be used with redis.mode 'sharded' yet: recovery keeps every message in one Redis stream (one shard), which sharded pub/sub is meant to avoid. Use redis.mode 'pubsub' with recovery, or turn recovery off.`,
    ],
    [
      'a URL without scheme',
      { redis: { url: 'localhost:6379' } },
      `Invalid RealtimeModule option "redis.url": expected a redis:// or rediss:// URL such as 'redis://localhost:6379', got the string "localhost:6379".`,
    ],
    [
      'a client that is not ioredis',
      { redis: { client: { connect() {} } } },
      'Invalid RealtimeModule option "redis.client": expected an ioredis Redis or Cluster instance (it is duplicated for pub/sub).',
    ],
    [
      'a negative timeout',
      { redis: { url: 'redis://a', requestsTimeout: -1 } },
      'Invalid RealtimeModule option "redis.requestsTimeout": expected a positive number, got the number -1.',
    ],
    ['auth without key', { auth: {} }, 'Invalid RealtimeModule option "auth": give "secret" (HS256) or "publicKey" (RS256 and others).'],
    [
      'an empty secret',
      { auth: { secret: '' } },
      'Invalid RealtimeModule option "auth.secret": expected a non-empty string, got the string "".',
    ],
    [
      'secret and publicKey',
      { auth: { secret: 'x', publicKey: 'y' } },
      'Invalid RealtimeModule option "auth": give either "secret" or "publicKey", not both.',
    ],
    [
      'algorithm none',
      { auth: { secret: 'x', algorithms: ['HS256', 'none'] } },
      'Invalid RealtimeModule option "auth.algorithms": "none" is never accepted: unsigned tokens would let anyone in.',
    ],
    [
      'RS256 with a secret',
      { auth: { secret: 'x', algorithms: ['RS256'] } },
      'Invalid RealtimeModule option "auth.algorithms": "RS256" cannot be used with "secret"; use one of HS256, HS384, HS512.',
    ],
    [
      'HS256 with a public key',
      { auth: { publicKey: 'PEM', algorithms: ['HS256'] } },
      'Invalid RealtimeModule option "auth.algorithms": "HS256" cannot be used with "publicKey"; use one of RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512, EdDSA.',
    ],
    [
      'validate not a function',
      { auth: { secret: 'x', validate: true } },
      'Invalid RealtimeModule option "auth.validate": expected a function, got the boolean true.',
    ],
    [
      'required as a string',
      { auth: { secret: 'x', required: 'no' } },
      'Invalid RealtimeModule option "auth.required": expected true or false, got the string "no".',
    ],
    [
      'a bad transport',
      { transports: ['ws'] },
      `Invalid RealtimeModule option "transports": expected a non-empty array of 'websocket' and/or 'polling', got the array [ 'ws' ].`,
    ],
    ['an unknown engine', { engine: 'uws' }, `Invalid RealtimeModule option "engine": expected 'ws' or 'cws', got the string "uws".`],
    [
      'a relative path',
      { path: 'socket.io' },
      'Invalid RealtimeModule option "path": expected a path starting with "/", got the string "socket.io".',
    ],
    [
      'cors as a string',
      { cors: '*' },
      `Invalid RealtimeModule option "cors": expected true (any origin) or socket.io CORS options such as { origin: 'https://app.example.com' }, got the string "*".`,
    ],
    [
      'half a rate limit',
      { rateLimit: { points: 5 } },
      'Invalid RealtimeModule option "rateLimit": give both "points" and "durationMs", or false to turn it off.',
    ],
    [
      'rate limit true',
      { rateLimit: true },
      'Invalid RealtimeModule option "rateLimit": expected an object like { points: 20, durationMs: 1000 } or false, got the boolean true.',
    ],
    [
      'rooms without authorize',
      { rooms: {} },
      'Invalid RealtimeModule option "rooms.authorize": give a function (user, room) => boolean; without it, leave "rooms" out.',
    ],
    [
      'presence ttl zero',
      { presence: { ttlMs: 0 } },
      'Invalid RealtimeModule option "presence.ttlMs": expected a positive number, got the number 0.',
    ],
    [
      'a presence TTL that would flood Redis',
      { presence: { ttlMs: 100 } },
      'Invalid RealtimeModule option "presence.ttlMs": expected at least 1000 ms (every instance writes its presence every ttlMs / 3), got the number 100.',
    ],
    [
      'maxHttpBufferSize -1',
      { maxHttpBufferSize: -1 },
      'Invalid RealtimeModule option "maxHttpBufferSize": expected a positive number, got the number -1.',
    ],
    [
      'presence room events by another name',
      { presence: { roomEvents: 'all' } },
      `Invalid RealtimeModule option "presence.roomEvents": expected 'diff', 'each', false or a function (room) => one of them, got the string "all".`,
    ],
    [
      'options that are not an object',
      'redis://localhost',
      `Invalid RealtimeModule option "options": expected an object like { redis: { url }, auth: { secret } }, got the string "redis://localhost".`,
    ],
  ])('refuses %s with an error naming the option and the fix', (_case, options, message) => {
    const error = errorOf(options);
    expect(error).toBeInstanceOf(InvalidRealtimeOptionsError);
    expect(error.message).toBe(message);
  });
});
