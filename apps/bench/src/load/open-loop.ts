import { performance } from 'node:perf_hooks';

/** What an open-loop run offered and what happened to it. */
export interface OpenLoopResult {
  /** Arrivals the schedule asked for. */
  offered: number;
  /** Arrivals actually started. */
  started: number;
  /** Arrivals skipped because `fire` refused them (too many in flight). */
  shed: number;
  elapsedMs: number;
}

/** Arrivals due after `elapsedMs` at `ratePerSec` (the schedule is a pure function of time). */
export function dueArrivals(elapsedMs: number, ratePerSec: number): number {
  return Math.floor((elapsedMs * ratePerSec) / 1000);
}

/**
 * Calls `fire(i)` at a constant arrival rate for `durationMs`, whether or not
 * earlier calls have finished (open loop: a slow system does not slow the
 * load down, which is what hides latency in closed-loop tests). `fire` returns
 * false to shed an arrival. The timer wakes every `tickMs`; arrivals due in
 * between start together.
 */
export async function runOpenLoop(
  ratePerSec: number,
  durationMs: number,
  fire: (index: number) => boolean,
  tickMs = 2,
): Promise<OpenLoopResult> {
  const start = performance.now();
  const total = dueArrivals(durationMs, ratePerSec);
  let issued = 0;
  let started = 0;
  let shed = 0;
  while (issued < total) {
    const due = Math.min(total, dueArrivals(performance.now() - start, ratePerSec));
    while (issued < due) {
      if (fire(issued)) started++;
      else shed++;
      issued++;
    }
    if (issued < total) await new Promise((resolve) => setTimeout(resolve, tickMs));
  }
  return { offered: total, started, shed, elapsedMs: performance.now() - start };
}

/** Runs `concurrency` lanes that each call `work()` back to back until `durationMs` passes. */
export async function runClosedLoop(
  concurrency: number,
  durationMs: number,
  work: () => Promise<boolean>,
): Promise<{ ok: number; failed: number; elapsedMs: number }> {
  const start = performance.now();
  let ok = 0;
  let failed = 0;
  const lane = async () => {
    while (performance.now() - start < durationMs) {
      if (await work().catch(() => false)) ok++;
      else failed++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  return { ok, failed, elapsedMs: performance.now() - start };
}
