/** One performance target: the measured value, the bound it is held to, and whether it is met. */
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
  /** For a target set as a multiple of a baseline: that baseline's figure (bound = fraction × baseline). */
  baseline?: number | null;
  /** The multiple of the baseline the target asks for (0.6 = "≥ 0.6 × baseline"). */
  fraction?: number;
  /** measured ÷ baseline, the figure to compare with `fraction`. */
  share?: number | null;
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
  /** The bare Express + pg endpoint's writes/s, same writers (baseline d). */
  bareHttpWritesPerSec: number | null;
  plainInsertsPerSec: number | null;
  heapBytesPerConnection: number | null;
}

const round3 = (v: number) => Math.round(v * 1000) / 1000;

function check(
  target: string,
  kind: TargetCheck['kind'],
  measured: number | null,
  bound: number | null,
): TargetCheck {
  if (measured === null || bound === null || !Number.isFinite(measured) || bound <= 0) {
    return { target, measured, bound, ratio: null, kind, met: null };
  }
  const ratio = round3(measured / bound);
  return {
    target,
    measured,
    bound,
    ratio,
    kind,
    met: kind === 'at-most' ? measured <= bound : measured >= bound,
  };
}

/** A target of the form "measured ≥ (or ≤) fraction × baseline". */
function versus(
  target: string,
  kind: TargetCheck['kind'],
  measured: number | null,
  baseline: number | null,
  fraction: number,
): TargetCheck {
  const bound = baseline === null ? null : round3(baseline * fraction);
  const share =
    measured === null || baseline === null || !Number.isFinite(measured) || baseline <= 0
      ? null
      : round3(measured / baseline);
  return { ...check(target, kind, measured, bound), baseline, fraction, share };
}

/** API writes/s against a bare Express + pg endpoint (baseline d). */
export const apiVsBareHttpTarget = 0.6;
/** API writes/s against plain single-row INSERTs (baseline c). */
export const apiVsPlainInsertsTarget = 0.15;

/** The performance targets of docs/architecture.md, checked against one run's figures. */
export function computeRatios(input: RatioInputs) {
  return {
    latencyP50: check('commit→client p50 ≤ 5 ms', 'at-most', input.latencyP50Ms, 5),
    latencyP99: check('commit→client p99 ≤ 50 ms', 'at-most', input.latencyP99Ms, 50),
    p99VsSocketioRedis: versus(
      'p99 ≤ bare Socket.IO + Redis adapter p99',
      'at-most',
      input.latencyP99Ms,
      input.socketioRedisP99Ms,
      1,
    ),
    deliveredVsSocketioRedis: versus(
      'delivered/s at saturation ≥ bare Socket.IO + Redis adapter',
      'at-least',
      input.deliveredPerSec,
      input.socketioRedisDeliveredPerSec,
      1,
    ),
    deliveredVsRawWs: versus(
      'delivered/s at saturation ≥ 0.5 × raw ws',
      'at-least',
      input.deliveredPerSec,
      input.rawWsDeliveredPerSec,
      0.5,
    ),
    apiWritesVsBareHttp: versus(
      `API writes/s ≥ ${apiVsBareHttpTarget} × bare Express + pg endpoint`,
      'at-least',
      input.apiWritesPerSec,
      input.bareHttpWritesPerSec,
      apiVsBareHttpTarget,
    ),
    apiWritesVsPlainInserts: versus(
      `API writes/s ≥ ${apiVsPlainInsertsTarget} × plain single-row INSERTs/s`,
      'at-least',
      input.apiWritesPerSec,
      input.plainInsertsPerSec,
      apiVsPlainInsertsTarget,
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
