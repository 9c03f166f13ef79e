import { describeValue as describe } from './errors/describe-value.js';
import { InvalidRealtimeOptionsError } from './errors/invalid-realtime-options.error.js';
import { MIN_PRESENCE_TTL_MS, MIN_RECOVERY } from './realtime.constants.js';
import type { RealtimeModuleOptions } from './realtime-options.interface.js';

type Checks = Record<string, (value: unknown, name: string) => void>;

const HMAC_ALGORITHMS = ['HS256', 'HS384', 'HS512'];
const PUBLIC_KEY_ALGORITHMS = [...['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'], ...['ES256', 'ES384', 'ES512', 'EdDSA']];

function fail(name: string, problem: string): never {
  throw new InvalidRealtimeOptionsError(name, problem);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function checkObject(value: unknown, name: string, checks: Checks, example: string): void {
  if (!isPlainObject(value)) fail(name, `expected an object like ${example}, got ${describe(value)}.`);
  for (const [key, item] of Object.entries(value)) {
    const path = name === 'options' ? key : `${name}.${key}`;
    const check = checks[key];
    if (!check) fail(path, `unknown option. Known options here: ${Object.keys(checks).join(', ')}.`);
    if (item !== undefined) check(item, path);
  }
}

function positiveNumber(value: unknown, name: string): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    fail(name, `expected a positive number, got ${describe(value)}.`);
  }
}

function nonEmptyString(value: unknown, name: string): void {
  if (typeof value !== 'string' || value.trim() === '') {
    fail(name, `expected a non-empty string, got ${describe(value)}.`);
  }
}

function functionValue(value: unknown, name: string): void {
  if (typeof value !== 'function') fail(name, `expected a function, got ${describe(value)}.`);
}

function booleanValue(value: unknown, name: string): void {
  if (typeof value !== 'boolean') fail(name, `expected true or false, got ${describe(value)}.`);
}

function key(value: unknown, name: string): void {
  if (Buffer.isBuffer(value) && value.length > 0) return;
  nonEmptyString(value, name);
}

function redisUrl(value: unknown, name: string): void {
  nonEmptyString(value, name);
  if (!/^rediss?:\/\//.test(value as string)) {
    fail(name, `expected a redis:// or rediss:// URL such as 'redis://localhost:6379', got ${describe(value)}.`);
  }
}

function redisClient(value: unknown, name: string): void {
  if (!isPlainObject(value) || typeof value.duplicate !== 'function') {
    fail(name, 'expected an ioredis Redis or Cluster instance (it is duplicated for pub/sub).');
  }
}

function clusterNodes(value: unknown, name: string): void {
  if (!Array.isArray(value) || value.length === 0) {
    fail(name, `expected a non-empty array of startup nodes like [{ host: '10.0.0.1', port: 6379 }], got ${describe(value)}.`);
  }
  value.forEach((node: unknown, i) => {
    const port = isPlainObject(node) ? node.port : undefined;
    if (!isPlainObject(node) || typeof node.host !== 'string' || node.host === '' || !Number.isInteger(port) || (port as number) <= 0) {
      fail(`${name}[${i}]`, `expected { host: string, port: number }, got ${describe(node)}.`);
    }
  });
}

function redisMode(value: unknown, name: string): void {
  if (value !== 'pubsub' && value !== 'sharded') fail(name, `expected 'pubsub' or 'sharded', got ${describe(value)}.`);
}

function validateRedis(value: unknown, name: string): void {
  checkObject(
    value,
    name,
    {
      url: redisUrl,
      nodes: clusterNodes,
      client: redisClient,
      keyPrefix: nonEmptyString,
      requestsTimeout: positiveNumber,
      mode: redisMode,
    },
    "{ url: 'redis://localhost:6379' }",
  );
  const given = ['url', 'nodes', 'client'].filter((key) => (value as Record<string, unknown>)[key] !== undefined);
  if (given.length > 1)
    fail(name, `give one of "url", "nodes" (a Cluster) or "client", not ${given.map((key) => `"${key}"`).join(' and ')}.`);
  if (given.length === 0) {
    fail(name, 'give "url", "nodes" (a Cluster) or "client". To run one instance without Redis, leave "redis" out.');
  }
}

/** Options that are each valid but cannot go together. */
function checkCombinations(options: RealtimeModuleOptions): void {
  if (options.redis?.mode === 'sharded' && options.recovery) {
    fail(
      'recovery',
      "cannot be used with redis.mode 'sharded' yet: recovery keeps every message in one Redis stream (one shard), " +
        "which sharded pub/sub is meant to avoid. Use redis.mode 'pubsub' with recovery, or turn recovery off.",
    );
  }
}

function algorithms(value: unknown, name: string): void {
  if (!Array.isArray(value) || value.length === 0) fail(name, `expected a non-empty array, got ${describe(value)}.`);
  for (const algorithm of value) {
    if (String(algorithm).toLowerCase() === 'none') fail(name, '"none" is never accepted: unsigned tokens would let anyone in.');
  }
}

function audience(value: unknown, name: string): void {
  if (Array.isArray(value) && value.length > 0) return value.forEach((item, i) => nonEmptyString(item, `${name}[${i}]`));
  nonEmptyString(value, name);
}

function nonNegativeNumber(value: unknown, name: string): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    fail(name, `expected a number of seconds >= 0, got ${describe(value)}.`);
  }
}

function checkAlgorithmsMatchKey(auth: Record<string, unknown>, name: string): void {
  const { secret, publicKey } = auth;
  if (secret !== undefined && publicKey !== undefined) fail(name, 'give either "secret" or "publicKey", not both.');
  if (secret === undefined && publicKey === undefined) fail(name, 'give "secret" (HS256) or "publicKey" (RS256 and others).');
  const allowed = secret !== undefined ? HMAC_ALGORITHMS : PUBLIC_KEY_ALGORITHMS;
  for (const algorithm of (auth.algorithms as string[] | undefined) ?? []) {
    if (!allowed.includes(algorithm)) {
      const keyName = secret !== undefined ? 'secret' : 'publicKey';
      fail(`${name}.algorithms`, `"${algorithm}" cannot be used with "${keyName}"; use one of ${allowed.join(', ')}.`);
    }
  }
}

function validateAuth(value: unknown, name: string): void {
  const checks: Checks = {
    secret: key,
    publicKey: key,
    algorithms,
    issuer: nonEmptyString,
    audience,
    clockTolerance: nonNegativeNumber,
    required: booleanValue,
    validate: functionValue,
    userId: functionValue,
    expiryGraceMs: positiveNumber,
  };
  checkObject(value, name, checks, '{ secret: process.env.JWT_SECRET }');
  checkAlgorithmsMatchKey(value as Record<string, unknown>, name);
}

function cors(value: unknown, name: string): void {
  if (!isPlainObject(value) && typeof value !== 'function' && typeof value !== 'boolean') {
    fail(
      name,
      `expected true (any origin) or socket.io CORS options such as { origin: 'https://app.example.com' }, got ${describe(value)}.`,
    );
  }
}

function port(value: unknown, name: string): void {
  if (!Number.isInteger(value) || (value as number) < 1 || (value as number) > 65535) {
    fail(name, `expected a port number from 1 to 65535, got ${describe(value)}.`);
  }
}

function namespace(value: unknown, name: string): void {
  if (typeof value !== 'string' || !value.startsWith('/'))
    fail(name, `expected a namespace starting with "/" such as '/chat', got ${describe(value)}.`);
}

function path(value: unknown, name: string): void {
  if (typeof value !== 'string' || !value.startsWith('/')) fail(name, `expected a path starting with "/", got ${describe(value)}.`);
}

function transports(value: unknown, name: string): void {
  const valid = Array.isArray(value) && value.length > 0 && value.every((t) => t === 'websocket' || t === 'polling');
  if (!valid) fail(name, `expected a non-empty array of 'websocket' and/or 'polling', got ${describe(value)}.`);
}

function engine(value: unknown, name: string): void {
  if (value !== 'ws' && value !== 'cws') fail(name, `expected 'ws' or 'cws', got ${describe(value)}.`);
}

function rateLimit(value: unknown, name: string): void {
  if (value === false) return;
  checkObject(value, name, { points: positiveNumber, durationMs: positiveNumber }, '{ points: 20, durationMs: 1000 } or false');
  const { points, durationMs } = value as Record<string, unknown>;
  if (points === undefined || durationMs === undefined) fail(name, 'give both "points" and "durationMs", or false to turn it off.');
}

function rooms(value: unknown, name: string): void {
  checkObject(value, name, { authorize: functionValue }, '{ authorize: (user, room) => boolean }');
  if ((value as Record<string, unknown>).authorize === undefined)
    fail(`${name}.authorize`, 'give a function (user, room) => boolean; without it, leave "rooms" out.');
}

function roomEvents(value: unknown, name: string): void {
  if (value === 'diff' || value === 'each' || value === false || typeof value === 'function') return;
  fail(name, `expected 'diff', 'each', false or a function (room) => one of them, got ${describe(value)}.`);
}

function presenceTtl(value: unknown, name: string): void {
  positiveNumber(value, name);
  if ((value as number) < MIN_PRESENCE_TTL_MS) {
    fail(name, `expected at least ${MIN_PRESENCE_TTL_MS} ms (every instance writes its presence every ttlMs / 3), got ${describe(value)}.`);
  }
}

function presence(value: unknown, name: string): void {
  if (value === false) return;
  checkObject(
    value,
    name,
    { ttlMs: presenceTtl, roomEvents, diffIntervalMs: positiveNumber },
    "{ ttlMs: 30000, roomEvents: 'diff' } or false",
  );
}

function atLeast(minimum: number, unit: string) {
  return (value: unknown, name: string): void => {
    if (!Number.isInteger(value) || (value as number) < minimum)
      fail(name, `expected a whole number of ${unit} >= ${minimum}, got ${describe(value)}.`);
  };
}

function recovery(value: unknown, name: string): void {
  if (typeof value === 'boolean') return;
  checkObject(
    value,
    name,
    {
      maxDisconnectionMs: atLeast(MIN_RECOVERY.maxDisconnectionMs, 'ms'),
      streamMaxLength: atLeast(MIN_RECOVERY.streamMaxLength, 'messages'),
      bufferMaxMessages: atLeast(0, 'messages'),
      bufferMaxAgeMs: atLeast(0, 'ms'),
    },
    '{ maxDisconnectionMs: 120000 } or true',
  );
}

const MODULE_CHECKS: Checks = {
  redis: validateRedis,
  auth: validateAuth,
  cors,
  path,
  transports,
  pingInterval: positiveNumber,
  pingTimeout: positiveNumber,
  maxHttpBufferSize: positiveNumber,
  rateLimit,
  rooms,
  presence,
  port,
  namespace,
  recovery,
  engine,
};

/** Checks options once at startup; throws {@link InvalidRealtimeOptionsError} naming the option and the fix. */
export function validateRealtimeOptions(options: unknown): RealtimeModuleOptions {
  if (options === undefined) return {};
  checkObject(options, 'options', MODULE_CHECKS, '{ redis: { url }, auth: { secret } }');
  checkCombinations(options as RealtimeModuleOptions);
  return options as RealtimeModuleOptions;
}
