import type { Timers } from './options.ts';

/**
 * One pending wake-up: arming it again keeps whichever is due first, so a
 * backoff retry and the periodic poll never pile up timers.
 */
export class WakeTimer {
  private handle: unknown;
  private due = Number.POSITIVE_INFINITY;

  constructor(
    private readonly timers: Timers,
    private readonly now: () => number,
    private readonly wake: () => void,
  ) {}

  arm(delayMs: number) {
    const due = this.now() + delayMs;
    if (this.handle !== undefined && this.due <= due) return;
    this.clear();
    this.due = due;
    this.handle = this.timers.setTimeout(() => {
      this.handle = undefined;
      this.due = Number.POSITIVE_INFINITY;
      this.wake();
    }, delayMs);
  }

  clear() {
    if (this.handle !== undefined) this.timers.clearTimeout(this.handle);
    this.handle = undefined;
    this.due = Number.POSITIVE_INFINITY;
  }
}
