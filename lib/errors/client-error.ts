import { HttpException, HttpStatus } from '@nestjs/common';
import { WsException } from '@nestjs/websockets';
import { RealtimeException, type RealtimeErrorCode, type RealtimeFieldError } from './realtime.exception.js';

/** The body a client receives for a failed message. */
export interface ClientError {
  status: 'error';
  code: RealtimeErrorCode;
  message: string;
  details?: RealtimeFieldError[];
}

// What Nest throws when a guard returns false: a plain WsException with this text. Nest exports the
// text (FORBIDDEN_MESSAGE) only from @nestjs/core/internal, which a library must not import.
const GUARD_REFUSAL = 'Forbidden resource';

const CODE_BY_STATUS: Partial<Record<number, RealtimeErrorCode>> = {
  [HttpStatus.UNAUTHORIZED]: 'UNAUTHORIZED',
  [HttpStatus.FORBIDDEN]: 'FORBIDDEN',
  [HttpStatus.NOT_FOUND]: 'NOT_FOUND',
  [HttpStatus.TOO_MANY_REQUESTS]: 'RATE_LIMITED',
};

/** Maps anything a handler, guard or pipe threw to a client error; `undefined` for unknown errors. */
export function toClientError(exception: unknown): ClientError | undefined {
  if (exception instanceof RealtimeException) {
    return clientError(exception.code, exception.message, exception.details);
  }
  if (exception instanceof WsException) return fromWsException(exception);
  if (exception instanceof HttpException) return fromHttpException(exception);
  return undefined;
}

/** The body a client receives for a failed message or request, with `details` only when there are some. */
export function clientError(code: RealtimeErrorCode, message: string, details?: RealtimeFieldError[]): ClientError {
  return details?.length ? { status: 'error', code, message, details } : { status: 'error', code, message };
}

/** The body for an unknown error: nothing of its text or stack reaches the client. */
export const INTERNAL_ERROR: ClientError = clientError('INTERNAL', 'Internal server error');

function fromWsException(exception: WsException): ClientError {
  const error = exception.getError();
  if (error === GUARD_REFUSAL && exception.constructor === WsException) return clientError('FORBIDDEN', 'Forbidden');
  if (typeof error === 'string') return clientError('BAD_REQUEST', error);
  const { code, message } = error as { code?: RealtimeErrorCode; message?: string };
  return clientError(code ?? 'BAD_REQUEST', message ?? 'Bad request');
}

function fromHttpException(exception: HttpException): ClientError {
  const status = exception.getStatus();
  if (status >= 500) return INTERNAL_ERROR;
  const response = exception.getResponse() as string | { message?: string | string[] };
  const messages = typeof response === 'string' ? [response] : ([] as string[]).concat(response.message ?? exception.message);
  if (status === (HttpStatus.BAD_REQUEST as number) && messages.length && typeof response !== 'string' && Array.isArray(response.message)) {
    return clientError('BAD_REQUEST', 'Validation failed', messages.map(toFieldError));
  }
  return clientError(CODE_BY_STATUS[status] ?? 'BAD_REQUEST', messages.join('; ') || exception.message);
}

/**
 * ValidationPipe (class-validator) messages start with the property ("name must be a string");
 * Nest 12's schema validation writes "path: message".
 */
function toFieldError(message: string): RealtimeFieldError {
  const schemaStyle = /^([\w$.[\]-]+): (.+)$/.exec(message);
  if (schemaStyle) return { field: schemaStyle[1], message: schemaStyle[2] };
  const classValidatorStyle = /^([\w$.[\]-]+) /.exec(message);
  return { field: classValidatorStyle?.[1] ?? '', message };
}
