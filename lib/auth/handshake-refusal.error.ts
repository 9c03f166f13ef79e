/** Why a handshake was refused; the client sees it as `connect_error.data.code`. */
export type HandshakeRefusalCode = 'TOKEN_MISSING' | 'TOKEN_INVALID' | 'TOKEN_EXPIRED' | 'USER_REJECTED';

/**
 * The error a refused connection reaches the client with: `connect_error` with
 * `message: 'Unauthorized'` and `data: { code }`.
 */
export class HandshakeRefusalError extends Error {
  readonly data: { code: HandshakeRefusalCode };

  constructor(code: HandshakeRefusalCode, cause?: Error) {
    super('Unauthorized', { cause });
    this.name = 'HandshakeRefusalError';
    this.data = { code };
  }
}
