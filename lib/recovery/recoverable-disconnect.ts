const RECOVERABLE_REASONS = new Set([
  'transport error',
  'transport close',
  'forced close',
  'ping timeout',
  'server shutting down',
  'forced server close',
]);

/** Whether socket.io keeps the session of a socket that disconnected for this reason (its `RECOVERABLE_DISCONNECT_REASONS`). */
export function isRecoverableDisconnect(reason: string): boolean {
  return RECOVERABLE_REASONS.has(reason);
}
