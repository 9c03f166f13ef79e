import { Logger } from '@nestjs/common';
import { createPublicKey, createSecretKey, type KeyObject } from 'node:crypto';
import jwt, { type Algorithm, type JwtPayload } from 'jsonwebtoken';
import type { ResolvedAuthOptions } from '../realtime-options.interface.js';
import { HandshakeRefusalError } from './handshake-refusal.error.js';

const logger = new Logger('HandshakeAuth');

// Far above any real JWT; refusing larger ones first keeps parsing cost bounded.
const MAX_TOKEN_LENGTH = 8192;

/** Verifies handshake tokens with the key made once: a string secret costs ~20x more per call. */
export class JwtVerifier {
  private readonly key: KeyObject;
  private readonly verifyOptions: jwt.VerifyOptions & { complete?: false };

  constructor(private readonly options: ResolvedAuthOptions) {
    this.key = options.secret !== undefined ? createSecretKey(toBuffer(options.secret)) : createPublicKey(options.publicKey!);
    this.verifyOptions = {
      algorithms: options.algorithms as Algorithm[],
      issuer: options.issuer,
      audience: options.audience as jwt.VerifyOptions['audience'],
      clockTolerance: options.clockTolerance,
    };
  }

  /** The verified payload; throws {@link HandshakeRefusalError} with `TOKEN_INVALID` or `TOKEN_EXPIRED`. */
  verify(token: string): JwtPayload {
    if (token.length > MAX_TOKEN_LENGTH) throw new HandshakeRefusalError('TOKEN_INVALID');
    try {
      const payload = jwt.verify(token, this.key, this.verifyOptions);
      if (typeof payload === 'string') throw new HandshakeRefusalError('TOKEN_INVALID');
      return payload;
    } catch (error) {
      if (error instanceof jwt.TokenExpiredError) throw new HandshakeRefusalError('TOKEN_EXPIRED');
      throw new HandshakeRefusalError('TOKEN_INVALID');
    }
  }

  /** The user a payload stands for (`validate`), or a refusal with `USER_REJECTED`. */
  async toUser(payload: JwtPayload): Promise<unknown> {
    if (!this.options.validate) return payload;
    let user: unknown;
    try {
      user = await this.options.validate(payload);
    } catch (error) {
      throw new HandshakeRefusalError('USER_REJECTED', error as Error);
    }
    if (!user) throw new HandshakeRefusalError('USER_REJECTED');
    return user;
  }

  /**
   * The handshake as a whole: the token verified, mapped to the user (`validate`) and its id; throws
   * {@link HandshakeRefusalError} with the code the client is told.
   */
  async authenticate(token: string): Promise<{ payload: JwtPayload; user: unknown; userId: string }> {
    const payload = this.verify(token);
    const user = await this.toUser(payload);
    const userId = this.userIdOf(user);
    if (userId === undefined) {
      logger.warn('A verified user has no id (no "sub" or "id"): set RealtimeModule option "auth.userId".');
      throw new HandshakeRefusalError('USER_REJECTED');
    }
    return { payload, user, userId };
  }

  /** The id used for the room `user:<id>` and presence. */
  userIdOf(user: unknown): string | undefined {
    if (this.options.userId) return this.options.userId(user);
    const { sub, id } = user as { sub?: unknown; id?: unknown };
    const userId = sub ?? id;
    return typeof userId === 'string' || typeof userId === 'number' ? String(userId) : undefined;
  }
}

function toBuffer(secret: string | Buffer): Buffer {
  return typeof secret === 'string' ? Buffer.from(secret) : secret;
}
