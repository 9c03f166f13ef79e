import { WsException } from '@nestjs/websockets';

/** Stable codes of the errors clients receive (ack `{ status: 'error', code }` or the `exception` event). */
export type RealtimeErrorCode = 'UNAUTHORIZED' | 'FORBIDDEN' | 'BAD_REQUEST' | 'RATE_LIMITED' | 'NOT_FOUND' | 'INTERNAL';

/** One validation problem of a message payload. */
export interface RealtimeFieldError {
  /** Dotted path of the field, `''` when the validator did not name one. */
  field: string;
  message: string;
}

/**
 * A client-facing error with a stable code; throw it from a handler, guard or pipe.
 * @example throw new RealtimeException('NOT_FOUND', 'No such room');
 */
export class RealtimeException extends WsException {
  constructor(
    readonly code: RealtimeErrorCode,
    message: string,
    readonly details?: RealtimeFieldError[],
  ) {
    super(message);
  }
}
