import type { Logger } from '@nestjs/common';

/**
 * Wraps a function that socket.io, ioredis or a timer calls, where an error thrown (or a promise
 * rejected) would crash the process: the error is logged once with `context` and serving goes on.
 */
export function guardCallback<This, A extends unknown[]>(
  logger: Logger,
  context: string,
  callback: (this: This, ...args: A) => unknown,
): (this: This, ...args: A) => void {
  return function (this: This, ...args: A): void {
    try {
      const result = callback.apply(this, args);
      if (result instanceof Promise) result.catch((error: unknown) => report(logger, context, error));
    } catch (error) {
      report(logger, context, error);
    }
  };
}

function report(logger: Logger, context: string, error: unknown): void {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  logger.error(`${context} failed, the process goes on: ${text}`, error instanceof Error ? error.stack : undefined);
}
