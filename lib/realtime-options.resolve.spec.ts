import { InvalidRealtimeOptionsError } from './errors/invalid-realtime-options.error.js';
import { resolveRealtimeOptions } from './realtime-options.resolve.js';

describe('resolveRealtimeOptions', () => {
  it('fills in every default', () => {
    expect(resolveRealtimeOptions({ redis: { url: 'redis://localhost:6379' }, auth: { secret: 's' } })).toEqual({
      redis: { url: 'redis://localhost:6379', keyPrefix: 'realtime', requestsTimeout: 5000 },
      auth: { secret: 's', algorithms: ['HS256'], clockTolerance: 0, required: true, expiryGraceMs: 30_000 },
      rateLimit: { points: 100, durationMs: 1000 },
      namespace: '/',
      presence: { ttlMs: 30_000, roomEvents: 'diff', diffIntervalMs: 100 },
    });
    expect(resolveRealtimeOptions(undefined)).toEqual({
      rateLimit: { points: 100, durationMs: 1000 },
      namespace: '/',
      presence: { ttlMs: 30_000, roomEvents: 'diff', diffIntervalMs: 100 },
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
      path: '/rt',
    });
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
