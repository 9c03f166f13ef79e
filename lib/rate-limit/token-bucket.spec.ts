import { TokenBucket } from './token-bucket.js';

describe('TokenBucket', () => {
  it('passes `points` events, refuses the next ones, refills over `durationMs`, and cuts off after another full bucket refused', () => {
    let now = 0;
    const bucket = new TokenBucket({ points: 3, durationMs: 1000 }, () => now);
    expect([1, 2, 3, 4].map(() => bucket.take())).toEqual(['pass', 'pass', 'pass', 'refuse']);
    now = 334; // a third of the window: one token back
    expect([bucket.take(), bucket.take()]).toEqual(['pass', 'refuse']);
    expect([bucket.take(), bucket.take(), bucket.take()]).toEqual(['refuse', 'refuse', 'cut-off']); // more than 3 refused in a row
  });
});
