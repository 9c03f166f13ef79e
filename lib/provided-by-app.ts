import type { INestApplicationContext } from '@nestjs/common';

/**
 * What a Nest app provides under `token` (from `RealtimeModule`, when the app imports it); undefined
 * when `app` is not a Nest app (an adapter given an HTTP server) or does not provide it.
 */
export function providedByApp<T>(app: unknown, token: symbol | (abstract new (...args: never[]) => T)): T | undefined {
  const context = app as Partial<INestApplicationContext> | undefined;
  if (typeof context?.get !== 'function') return undefined;
  try {
    return context.get<unknown, T>(token, { strict: false });
  } catch {
    return undefined; // the app does not import RealtimeModule
  }
}
