import type { Socket } from 'socket.io-client';

/** What one client received of a numbered series: how many were lost, duplicated and out of order. */
export interface DeliveryCounts {
  received: number;
  lost: number;
  duplicated: number;
  outOfOrder: number;
}

/**
 * Records the numbers `{ n }` a client receives as `event` (with recovery, socket.io-client appends the
 * stream offset as a last argument; it is ignored here).
 */
export class NumberedReceiver {
  readonly numbers: number[] = [];
  private readonly waiters: { n: number; resolve: () => void }[] = [];

  constructor(
    readonly socket: Socket,
    event: string,
  ) {
    socket.on(event, (message: { n: number }) => {
      this.numbers.push(message.n);
      for (const waiter of this.waiters.filter((w) => this.numbers.includes(w.n))) {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    });
  }

  /** Resolves once `n` has arrived; rejects after `timeoutMs` saying what did. */
  until(n: number, timeoutMs = 10_000): Promise<void> {
    if (this.numbers.includes(n)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no message ${n} within ${timeoutMs} ms; got ${this.numbers.length}, last ${this.numbers.at(-1)}`)),
        timeoutMs,
      );
      this.waiters.push({ n, resolve: () => (clearTimeout(timer), resolve()) });
    });
  }

  /** Against the series `first..last` that was sent to it. */
  counts(first: number, last: number): DeliveryCounts {
    const unique = new Set(this.numbers);
    let lost = 0;
    for (let n = first; n <= last; n++) if (!unique.has(n)) lost++;
    const outOfOrder = this.numbers.filter((n, i) => i > 0 && n < this.numbers[i - 1]).length;
    return { received: this.numbers.length, lost, duplicated: this.numbers.length - unique.size, outOfOrder };
  }
}

/** Sums the counts of several clients, to print and compare in one line. */
export function total(counts: DeliveryCounts[]): DeliveryCounts {
  return counts.reduce(
    (sum, c) => ({
      received: sum.received + c.received,
      lost: sum.lost + c.lost,
      duplicated: sum.duplicated + c.duplicated,
      outOfOrder: sum.outOfOrder + c.outOfOrder,
    }),
    { received: 0, lost: 0, duplicated: 0, outOfOrder: 0 },
  );
}
