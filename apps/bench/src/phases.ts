import { performance } from 'node:perf_hooks';
import type { ClientPool, PhaseMeasurement } from './clients/pool.ts';
import type { Target } from './clients/protocol.ts';
import { sleep } from './infra/ports.ts';
import { scrapeMetrics } from './infra/proc-stats.ts';
import type { Progress } from './progress.ts';

/** Deliveries a phase should produce: each room's offsets × its subscribers. */
export function expectedDeliveries(
  expected: Record<string, number[]>,
  subscribers: ReadonlyMap<string, number>,
): number {
  let total = 0;
  for (const [room, offsets] of Object.entries(expected)) {
    total += offsets.length * (subscribers.get(room) ?? 0);
  }
  return total;
}

/**
 * Waits until the clients have received `want` events, or nothing new arrived
 * for 3 s, or `maxMs` passed. Worker counts arrive once a second.
 */
export async function waitForDeliveries(clients: ClientPool, want: number, maxMs = 30_000) {
  const deadline = Date.now() + maxMs;
  let last = -1;
  let quietSince = Date.now();
  while (Date.now() < deadline) {
    const { received } = clients.progress();
    if (received >= want) return;
    if (received !== last) {
      last = received;
      quietSince = Date.now();
    } else if (Date.now() - quietSince > 3_000) {
      return;
    }
    await sleep(200);
  }
}

/** Fan-out figures of one measured phase. */
export interface FanoutResult extends PhaseMeasurement {
  /** Events published in the phase. */
  events: number;
  expectedDeliveries: number;
  /** Deliveries per second from the first publish to the last receipt. */
  deliveredPerSec: number;
}

export const wallNow = () => performance.timeOrigin + performance.now();

/**
 * Measures one phase: resets the workers, runs `drive` (which publishes),
 * lets `settle` wait for the pipeline to empty and say what was published,
 * waits for the clients to receive it, and merges what they saw.
 */
export async function measureFanout(
  clients: ClientPool,
  subscribers: ReadonlyMap<string, number>,
  drive: () => Promise<void>,
  settle: () => Promise<Record<string, number[]>>,
): Promise<FanoutResult> {
  clients.startPhase();
  // Workers reset on the message; give it a moment so no early event is missed.
  await sleep(200);
  const startedAt = wallNow();
  await drive();
  const expected = await settle();
  const want = expectedDeliveries(expected, subscribers);
  await waitForDeliveries(clients, want);
  // One more tick so the last counts and receipts are in.
  await sleep(1_100);
  const measured = await clients.stopPhase(expected);
  const seconds = Math.max((measured.lastAt - startedAt) / 1000, 0.001);
  return {
    ...measured,
    events: Object.values(expected).reduce((n, list) => n + list.length, 0),
    expectedDeliveries: want,
    deliveredPerSec: measured.received > 0 ? Math.round(measured.received / seconds) : 0,
  };
}

/** Sum over gateways of the lowest heap-used of three samples (a GC between samples lowers it). */
export async function gatewayHeapBytes(urls: readonly string[]): Promise<number> {
  let total = 0;
  for (const url of urls) {
    let lowest = Number.POSITIVE_INFINITY;
    for (let i = 0; i < 3; i++) {
      const value = (await scrapeMetrics(url)).get('nodejs_heap_size_used_bytes');
      if (value !== undefined) lowest = Math.min(lowest, value);
      await sleep(400);
    }
    if (Number.isFinite(lowest)) total += lowest;
  }
  return total;
}

/** Sum of a counter over gateways (`gateway_events_delivered_total`). */
export async function gatewayCounter(urls: readonly string[], name: string): Promise<number> {
  const values = await Promise.all(
    urls.map(async (url) => (await scrapeMetrics(url)).get(name) ?? 0),
  );
  return values.reduce((a, b) => a + b, 0);
}

/**
 * Opens `targets` and reports the ramp rate. Connections per worker in flight
 * are bounded so the gateways see a steady ramp, not a thundering herd.
 */
export async function rampConnections(
  clients: ClientPool,
  kind: 'socketio' | 'ws',
  targets: Target[],
  progress: Progress,
  label: string,
) {
  progress.phase(label, () => `${clients.progress().connected}/${targets.length} connected`);
  const started = performance.now();
  const result = await clients.connect(kind, targets, 50);
  const seconds = (performance.now() - started) / 1000;
  progress.stopTicking();
  const perSec = Math.round(result.ok / Math.max(seconds, 0.001));
  progress.note(
    `${result.ok} connected${result.failed ? `, ${result.failed} failed (${result.errors.join('; ')})` : ''} in ${seconds.toFixed(1)} s (${perSec}/s)`,
  );
  return { ...result, seconds, perSec };
}
