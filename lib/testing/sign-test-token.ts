import jwt from 'jsonwebtoken';

/**
 * Signs an HS256 token for tests, valid for an hour unless the payload or `options` say otherwise.
 * @example signTestToken({ sub: 'alice', roles: ['admin'] }, 'test-secret')
 */
export function signTestToken(payload: object, secret: string | Buffer, options: jwt.SignOptions = {}): string {
  const expires = 'exp' in payload || options.expiresIn !== undefined ? {} : { expiresIn: '1h' as const };
  return jwt.sign(payload, secret, { algorithm: 'HS256', ...expires, ...options });
}
