import { InvalidRealtimeOptionsError } from './errors/invalid-realtime-options.error.js';
import { resolveRealtimeOptions } from './realtime-options.resolve.js';

describe('resolveRealtimeOptions', () => {
  it('fills in every default', () => {
    expect(resolveRealtimeOptions({ redis: { url: 'redis://localhost:6379' }, auth: { secret: 's' } })).toEqual({
      redis: { url: 'redis://localhost:6379', keyPrefix: 'realtime', requestsTimeout: 5000, mode: 'pubsub' },
      auth: { secret: 's', algorithms: ['HS256'], clockTolerance: 0, required: true, expiryGraceMs: 30_000 },
      rateLimit: { points: 100, durationMs: 1000 },
      namespace: '/',
      presence: { ttlMs: 30_000, roomEvents: 'diff', diffIntervalMs: 100 },
      recovery: false,
    });
    expect(resolveRealtimeOptions(undefined)).toEqual({
      rateLimit: { points: 100, durationMs: 1000 },
      namespace: '/',
      presence: { ttlMs: 30_000, roomEvents: 'diff', diffIntervalMs: 100 },
      recovery: false,
    });
  });

  it('keeps what was given, including the off switches', () => {
    const resolved = resolveRealtimeOptions({
      auth: { publicKey: 'PEM', required: false },
      rateLimit: false,
      namespace: '/',
      presence: false,
      path: '/rt',
    });
    expect(resolved).toEqual({
      auth: { publicKey: 'PEM', algorithms: ['RS256'], clockTolerance: 0, required: false, expiryGraceMs: 30_000 },
      rateLimit: false,
      namespace: '/',
      presence: false,
      recovery: false,
      path: '/rt',
    });
  });

  it('takes recovery: true, or an object leaving limits out, as the defaults', () => {
    const defaults = { maxDisconnectionMs: 120_000, streamMaxLength: 100_000, bufferMaxMessages: 10_000, bufferMaxAgeMs: 30_000 };
    expect(resolveRealtimeOptions({ recovery: true }).recovery).toEqual(defaults);
    expect(resolveRealtimeOptions({ recovery: { maxDisconnectionMs: 5000 } }).recovery).toEqual({ ...defaults, maxDisconnectionMs: 5000 });
  });

  it('takes cors: true as socket.io does, any origin', () => {
    expect(resolveRealtimeOptions({ cors: true }).cors).toEqual({ origin: '*' });
    expect(resolveRealtimeOptions({ cors: false })).not.toHaveProperty('cors');
  });

  it('resolves once: resolved options come back as they are, without a second validation', () => {
    const resolved = resolveRealtimeOptions({ presence: { ttlMs: 9000 } });
    expect(resolveRealtimeOptions(resolved)).toBe(resolved);
  });

  it('refuses invalid options as validation does', () => {
    expect(() => resolveRealtimeOptions({ presence: { ttlMs: -1 } })).toThrow(InvalidRealtimeOptionsError);
  });
});
