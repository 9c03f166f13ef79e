import type { INestApplication } from '@nestjs/common';
import type { Socket } from 'socket.io-client';
import { signTestToken } from '../../lib/testing/index.js';
import { nextEvent } from '../utils/events.js';
import { TestBed } from '../utils/test-bed.js';
import { SecureGateway } from './secure.gateway.js';

const secret = 'expiry-test-secret';
/**
 * A token that expires in 1 to 2 s (JWT `exp` has second precision): at least a second, so that a
 * slow handshake does not find it expired already.
 */
const shortLived = (sub: string) => signTestToken({ sub, exp: Math.ceil(Date.now() / 1000) + 1 }, secret);

describe('token lifetime of a connected socket', () => {
  let bed: TestBed;
  let app: INestApplication;

  beforeEach(async () => {
    bed = new TestBed();
    app = await bed.app({ options: { auth: { secret, expiryGraceMs: 500 } }, providers: [SecureGateway] });
  });
  afterEach(() => bed.close());

  const connect = (token: string): Promise<Socket> => bed.client(app, { token });

  it('emits auth:expired when exp passes, then disconnects after the grace period', async () => {
    const client = await connect(shortLived('alice'));
    await nextEvent(client, 'auth:expired', 3000);
    expect(await nextEvent(client, 'disconnect', 2000)).toBe('io server disconnect');
  });

  it('keeps a socket that refreshes with a valid token for the same user', async () => {
    const client = await connect(shortLived('alice'));
    await nextEvent(client, 'auth:expired', 3000);

    expect(await client.emitWithAck('auth:refresh', { token: shortLived('alice') })).toEqual({ status: 'ok' });

    // the new token's own expiry is what is watched now: a second auth:expired, not a disconnect
    const disconnected = watchDisconnect(client);
    await nextEvent(client, 'auth:expired', 3000);
    expect(disconnected()).toBe(false);
    expect(await client.emitWithAck('auth:refresh', { token: signTestToken({ sub: 'alice', role: 'renewed' }, secret) })).toEqual({
      status: 'ok',
    });
    expect((await client.emitWithAck('whoami')).user).toEqual(expect.objectContaining({ role: 'renewed' }));
  });

  it('refuses a refresh with an invalid token and leaves the grace period running', async () => {
    const client = await connect(shortLived('alice'));
    await nextEvent(client, 'auth:expired', 3000);
    expect(await client.emitWithAck('auth:refresh', { token: 'garbage' })).toEqual({
      status: 'error',
      code: 'UNAUTHORIZED',
      message: 'Invalid token',
    });
    expect(await nextEvent(client, 'disconnect', 2000)).toBe('io server disconnect');
  });

  it('disconnects a socket that refreshes with another user’s token', async () => {
    const client = await connect(signTestToken({ sub: 'alice' }, secret));
    const disconnected = nextEvent(client, 'disconnect');
    expect(await client.emitWithAck('auth:refresh', { token: signTestToken({ sub: 'mallory' }, secret) })).toEqual({
      status: 'error',
      code: 'FORBIDDEN',
      message: 'The new token is for another user',
    });
    expect(await disconnected).toBe('io server disconnect');
  });

  it('answers malformed auth:refresh packets with UNAUTHORIZED and goes on serving the socket', async () => {
    const client = await connect(signTestToken({ sub: 'alice' }, secret));
    const unauthorized = { status: 'error', code: 'UNAUTHORIZED', message: 'Invalid token' };

    const answers = [
      await client.emitWithAck('auth:refresh'),
      await client.emitWithAck('auth:refresh', null),
      await client.emitWithAck('auth:refresh', 5),
      await client.emitWithAck('auth:refresh', { token: 5 }),
      await client.emitWithAck('auth:refresh', { token: { sub: 'alice' } }),
      await client.emitWithAck('auth:refresh', { token: 'x'.repeat(100_000) }),
    ];
    client.emit('auth:refresh', { token: 'no ack wanted' });

    expect(answers).toEqual(answers.map(() => unauthorized));
    expect((await client.emitWithAck('whoami')).user).toEqual(expect.objectContaining({ sub: 'alice' }));
  });

  it('counts auth:refresh against the flood bucket like any event', async () => {
    const limited = await bed.app({
      options: { auth: { secret }, rateLimit: { points: 2, durationMs: 60_000 } },
      providers: [SecureGateway],
    });
    const client = await bed.client(limited, { token: signTestToken({ sub: 'alice' }, secret) });
    const refresh = () => client.emitWithAck('auth:refresh', { token: signTestToken({ sub: 'alice' }, secret) });

    expect([await refresh(), await refresh(), await refresh()]).toEqual([
      { status: 'ok' },
      { status: 'ok' },
      expect.objectContaining({ status: 'error', code: 'RATE_LIMITED' }),
    ]);
  });

  it('answers auth:refresh with NOT_FOUND on a socket that connected without a token (auth not required)', async () => {
    const optional = await bed.app({ options: { auth: { secret, required: false } }, providers: [SecureGateway] });
    const anonymous = await bed.client(optional);

    expect(await anonymous.emitWithAck('auth:refresh', { token: signTestToken({ sub: 'alice' }, secret) })).toEqual(
      expect.objectContaining({ status: 'error', code: 'NOT_FOUND' }),
    );
  });
});

/** Records whether the socket disconnected from now on. */
function watchDisconnect(client: Socket): () => boolean {
  let happened = false;
  client.once('disconnect', () => (happened = true));
  return () => happened;
}
