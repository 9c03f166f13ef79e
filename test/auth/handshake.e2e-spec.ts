import { generateKeyPairSync } from 'node:crypto';
import jwt from 'jsonwebtoken';
import type { INestApplication } from '@nestjs/common';
import type { RealtimeAuthOptions } from '../../lib/index.js';
import { signTestToken } from '../../lib/testing/index.js';
import { TestBed } from '../utils/test-bed.js';
import { OpenGateway, SecureGateway } from './secure.gateway.js';

const secret = 'handshake-test-secret';
const inOneHour = () => Math.floor(Date.now() / 1000) + 3600;

describe('handshake authentication', () => {
  let bed: TestBed;
  beforeEach(() => (bed = new TestBed()));
  afterEach(() => bed.close());

  const start = (auth: RealtimeAuthOptions): Promise<INestApplication> =>
    bed.app({ options: { auth }, providers: [SecureGateway, OpenGateway] });

  /** The `connect_error` a client gets, as it sees it. */
  async function refusal(app: INestApplication, options: Parameters<TestBed['client']>[1]) {
    const error = await bed.client(app, options).then<undefined, Error & { data?: unknown }>(
      () => undefined,
      (e: Error & { data?: unknown }) => e,
    );
    return error && { message: error.message, data: error.data };
  }

  it('accepts a valid token: the user is set before handleConnection and the socket is in user:<id>', async () => {
    const app = await start({ secret });
    const client = await bed.client(app, { token: signTestToken({ sub: 'alice', name: 'Alice' }, secret) });

    const reply = await client.emitWithAck('whoami');

    expect(reply).toEqual({
      user: expect.objectContaining({ sub: 'alice', name: 'Alice' }),
      sub: 'alice',
      rooms: ['user:alice'],
      atConnection: expect.objectContaining({ sub: 'alice' }),
    });
  });

  it('takes the token from the Authorization: Bearer header too', async () => {
    const app = await start({ secret });
    const token = signTestToken({ sub: 'bob' }, secret);
    const client = await bed.client(app, { extraHeaders: { Authorization: `Bearer ${token}` } });
    expect((await client.emitWithAck('whoami')).sub).toBe('bob');
  });

  it.each([
    ['no token', {}, 'TOKEN_MISSING'],
    ['an empty token', { token: '' }, 'TOKEN_MISSING'],
    ['an expired token', { token: signTestToken({ sub: 'a', exp: Math.floor(Date.now() / 1000) - 60 }, secret) }, 'TOKEN_EXPIRED'],
    ['a token not valid yet', { token: signTestToken({ sub: 'a', nbf: inOneHour() }, secret) }, 'TOKEN_INVALID'],
    ['a wrong signature', { token: signTestToken({ sub: 'a' }, 'another-secret') }, 'TOKEN_INVALID'],
    ['an unsigned alg "none" token', { token: jwt.sign({ sub: 'a' }, '', { algorithm: 'none' }) }, 'TOKEN_INVALID'],
    ['garbage', { token: 'not.a.jwt' }, 'TOKEN_INVALID'],
    ['an oversized token', { token: signTestToken({ sub: 'a', blob: 'x'.repeat(20_000) }, secret) }, 'TOKEN_INVALID'],
    ['an HS384 token when only HS256 is allowed', { token: jwt.sign({ sub: 'a' }, secret, { algorithm: 'HS384' }) }, 'TOKEN_INVALID'],
  ])('refuses %s with the code the client sees', async (_case, options, code) => {
    const app = await start({ secret });
    expect(await refusal(app, options)).toEqual({ message: 'Unauthorized', data: { code } });
  });

  it('checks issuer and audience', async () => {
    const app = await start({ secret, issuer: 'auth.example.com', audience: ['chat', 'admin'] });
    const token = (claims: object) => signTestToken({ sub: 'a', ...claims }, secret);

    expect(await refusal(app, { token: token({ iss: 'evil.example.com', aud: 'chat' }) })).toEqual({
      message: 'Unauthorized',
      data: { code: 'TOKEN_INVALID' },
    });
    expect(await refusal(app, { token: token({ iss: 'auth.example.com', aud: 'billing' }) })).toEqual({
      message: 'Unauthorized',
      data: { code: 'TOKEN_INVALID' },
    });
    expect(await refusal(app, { token: token({ iss: 'auth.example.com', aud: 'chat' }) })).toBeUndefined();
  });

  it('honours clockTolerance for a token that just expired', async () => {
    const app = await start({ secret, clockTolerance: 120 });
    const token = signTestToken({ sub: 'a', exp: Math.floor(Date.now() / 1000) - 30 }, secret);
    expect(await refusal(app, { token })).toBeUndefined();
  });

  it('verifies RS256 with a public key and refuses an HS256 token signed with that public key', async () => {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const publicPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const app = await start({ publicKey: publicPem });

    const rs256 = jwt.sign({ sub: 'carol' }, privateKey, { algorithm: 'RS256', expiresIn: '1h' });
    expect(await refusal(app, { token: rs256 })).toBeUndefined();

    const confused = jwt.sign({ sub: 'mallory' }, Buffer.from(publicPem), {
      algorithm: 'HS256',
      expiresIn: '1h',
      allowInsecureKeySizes: true,
    } as jwt.SignOptions);
    expect(await refusal(app, { token: confused })).toEqual({ message: 'Unauthorized', data: { code: 'TOKEN_INVALID' } });
  });

  it('stores what an async validate() returns, and refuses when it returns nothing or throws', async () => {
    const validate = async (payload: jwt.JwtPayload) => {
      if (payload.sub === 'banned') return null;
      if (payload.sub === 'broken') throw new Error('user store is down');
      return { id: `user-${payload.sub}`, roles: ['member'] };
    };
    const app = await start({ secret, validate });

    const client = await bed.client(app, { token: signTestToken({ sub: 'dave' }, secret) });
    expect(await client.emitWithAck('whoami')).toEqual(
      expect.objectContaining({ user: { id: 'user-dave', roles: ['member'] }, rooms: ['user:user-dave'] }),
    );
    expect(await refusal(app, { token: signTestToken({ sub: 'banned' }, secret) })).toEqual({
      message: 'Unauthorized',
      data: { code: 'USER_REJECTED' },
    });
    expect(await refusal(app, { token: signTestToken({ sub: 'broken' }, secret) })).toEqual({
      message: 'Unauthorized',
      data: { code: 'USER_REJECTED' },
    });
    expect(bed.logger.lines).toContainEqual({ level: 'warn', message: 'auth.validate threw, connection refused: user store is down' });
  });

  it('uses auth.userId for the user room', async () => {
    const app = await start({ secret, userId: (user: { email: string }) => user.email });
    const client = await bed.client(app, { token: signTestToken({ email: 'erin@example.com' }, secret) });
    expect((await client.emitWithAck('whoami')).rooms).toEqual(['user:erin@example.com']);
  });

  it('protects every namespace a gateway opens, not only the main one', async () => {
    const app = await start({ secret });
    expect(await refusal(app, { namespace: '/open' })).toEqual({ message: 'Unauthorized', data: { code: 'TOKEN_MISSING' } });
    const client = await bed.client(app, { namespace: '/open', token: signTestToken({ sub: 'a' }, secret) });
    expect(await client.emitWithAck('echo', 'hi')).toBe('hi');
  });

  it('with required: false lets anonymous sockets in, and @WsAuth() refuses their messages', async () => {
    const app = await start({ secret, required: false });
    const anonymous = await bed.client(app);

    expect(await anonymous.emitWithAck('whoami')).toEqual({ status: 'error', code: 'UNAUTHORIZED', message: 'Authentication required' });
    expect(await refusal(app, { token: 'garbage' })).toEqual({ message: 'Unauthorized', data: { code: 'TOKEN_INVALID' } });
  });
});
