import type { RealtimeRateLimitOptions } from '../realtime-options.interface.js';

/**
 * Flood control for one connection: a token bucket of `points` refilled over `durationMs`. Tells
 * whether an event may pass, and when a client that keeps sending while refused (another full bucket)
 * should be cut off.
 */
export class TokenBucket {
  private tokens: number;
  private refilledAt: number;
  private refused = 0;

  /** @param now the clock, in ms */
  constructor(
    private readonly limits: RealtimeRateLimitOptions,
    private readonly now: () => number = Date.now,
  ) {
    this.tokens = limits.points;
    this.refilledAt = now();
  }

  take(): 'pass' | 'refuse' | 'cut-off' {
    const { points, durationMs } = this.limits;
    const now = this.now();
    this.tokens = Math.min(points, this.tokens + ((now - this.refilledAt) * points) / durationMs);
    this.refilledAt = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      this.refused = 0;
      return 'pass';
    }
    this.refused += 1;
    return this.refused > points ? 'cut-off' : 'refuse';
  }
}
