/** One observation of a series: `t` in seconds since the steady load began. */
export interface TrendPoint {
  t: number;
  v: number;
}

/** How a series moved over a soak: first vs last point, and a fitted line. */
export interface Trend {
  first: number;
  last: number;
  /** `last - first`. */
  change: number;
  /** `change` scaled to one hour of the span between the first and last point. */
  changePerHour: number | null;
  /** Least-squares slope over every point, per hour. */
  slopePerHour: number | null;
  points: number;
}

const round = (v: number, digits = 2) => {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
};

/**
 * Ordinary least-squares slope of `v` over `t` (units of `v` per unit of `t`).
 * Null with fewer than two points or when every `t` is the same.
 */
export function leastSquaresSlope(points: readonly TrendPoint[]): number | null {
  if (points.length < 2) return null;
  const meanT = points.reduce((s, p) => s + p.t, 0) / points.length;
  const meanV = points.reduce((s, p) => s + p.v, 0) / points.length;
  let num = 0;
  let den = 0;
  for (const p of points) {
    num += (p.t - meanT) * (p.v - meanV);
    den += (p.t - meanT) ** 2;
  }
  return den === 0 ? null : num / den;
}

/** First/last change and slope, per hour, of a series sampled in seconds. Null when empty. */
export function trend(points: readonly TrendPoint[]): Trend | null {
  const first = points[0];
  const last = points.at(-1);
  if (!first || !last) return null;
  const spanHours = (last.t - first.t) / 3600;
  const slope = leastSquaresSlope(points);
  return {
    first: round(first.v),
    last: round(last.v),
    change: round(last.v - first.v),
    changePerHour: spanHours > 0 ? round((last.v - first.v) / spanHours) : null,
    slopePerHour: slope === null ? null : round(slope * 3600),
    points: points.length,
  };
}
