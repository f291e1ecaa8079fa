/** One §8 target: the measured value, the bound it is held to, and whether it is met. */
export interface TargetCheck {
  /** What is compared, in words. */
  target: string;
  measured: number | null;
  bound: number | null;
  /**
   * measured ÷ bound, oriented so that ≥ 1 is good for "at least" targets and
   * ≤ 1 is good for "at most" targets (see `kind`).
   */
  ratio: number | null;
  kind: 'at-most' | 'at-least';
  met: boolean | null;
}

export interface RatioInputs {
  latencyP50Ms: number;
  latencyP99Ms: number;
  socketioRedisP99Ms: number | null;
  /** Fan-out at saturation, ours and the baselines, in deliveries/s. */
  deliveredPerSec: number;
  socketioRedisDeliveredPerSec: number | null;
  rawWsDeliveredPerSec: number | null;
  apiWritesPerSec: number | null;
  plainInsertsPerSec: number | null;
  heapBytesPerConnection: number | null;
}

function check(
  target: string,
  kind: TargetCheck['kind'],
  measured: number | null,
  bound: number | null,
): TargetCheck {
  if (measured === null || bound === null || !Number.isFinite(measured) || bound <= 0) {
    return { target, measured, bound, ratio: null, kind, met: null };
  }
  const ratio = Math.round((measured / bound) * 1000) / 1000;
  return {
    target,
    measured,
    bound,
    ratio,
    kind,
    met: kind === 'at-most' ? measured <= bound : measured >= bound,
  };
}

const half = (v: number | null) => (v === null ? null : v * 0.5);
const seventy = (v: number | null) => (v === null ? null : v * 0.7);

/** The ARCHITECTURE §8 targets, checked against one run's figures. */
export function computeRatios(input: RatioInputs) {
  return {
    latencyP50: check('commit→client p50 ≤ 5 ms', 'at-most', input.latencyP50Ms, 5),
    latencyP99: check('commit→client p99 ≤ 50 ms', 'at-most', input.latencyP99Ms, 50),
    p99VsSocketioRedis: check(
      'p99 ≤ bare Socket.IO + Redis adapter p99',
      'at-most',
      input.latencyP99Ms,
      input.socketioRedisP99Ms,
    ),
    deliveredVsSocketioRedis: check(
      'delivered/s at saturation ≥ bare Socket.IO + Redis adapter',
      'at-least',
      input.deliveredPerSec,
      input.socketioRedisDeliveredPerSec,
    ),
    deliveredVsRawWs: check(
      'delivered/s at saturation ≥ 50 % of raw ws',
      'at-least',
      input.deliveredPerSec,
      half(input.rawWsDeliveredPerSec),
    ),
    apiWritesVsPlainInserts: check(
      'API writes/s ≥ 70 % of plain single-row INSERTs/s',
      'at-least',
      input.apiWritesPerSec,
      seventy(input.plainInsertsPerSec),
    ),
    heapPerConnection: check(
      'gateway heap ≤ 10 KB per connection',
      'at-most',
      input.heapBytesPerConnection,
      10 * 1024,
    ),
  };
}

export type Ratios = ReturnType<typeof computeRatios>;
