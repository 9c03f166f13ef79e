import { Catch, Logger, type ArgumentsHost, type WsExceptionFilter } from '@nestjs/common';
import type { Socket } from 'socket.io';
import { INTERNAL_ERROR, toClientError } from './client-error.js';
import { replyWithError } from './client-reply.js';

/**
 * Answers a failed message so that no client hangs: the ack receives `{ status: 'error', code,
 * message, details? }`, or without an ack the `exception` event carries that body plus `event`.
 * Unknown errors become `INTERNAL` and are logged here, never shown to the client.
 * @example @UseFilters(RealtimeExceptionFilter)
 */
@Catch()
export class RealtimeExceptionFilter implements WsExceptionFilter {
  private readonly logger = new Logger(RealtimeExceptionFilter.name);

  catch(exception: unknown, host: ArgumentsHost): void {
    const ws = host.switchToWs();
    const client = ws.getClient<Socket>();
    const event = ws.getPattern();
    const error = toClientError(exception);
    if (!error) this.logger.error(`"${event}" failed: ${describe(exception)}`, (exception as Error)?.stack);
    // Nest calls filters with (client, data, ack, pattern); ack is there when the client asked for one.
    replyWithError(client, event, error ?? INTERNAL_ERROR, host.getArgByIndex(2));
  }
}

function describe(exception: unknown): string {
  return exception instanceof Error ? `${exception.name}: ${exception.message}` : String(exception);
}
