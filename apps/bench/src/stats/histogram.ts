import * as hdr from 'hdr-histogram-js';

/** Latencies are recorded in microseconds, from 1 µs to 60 s, with 3 significant digits. */
const settings = {
  lowestDiscernibleValue: 1,
  highestTrackableValue: 60_000_000,
  numberOfSignificantValueDigits: 3 as const,
};

export type Histogram = hdr.Histogram;

export function createHistogram(): Histogram {
  return hdr.build(settings);
}

/** Records one latency in milliseconds; values below 1 µs (clock rounding) count as 1 µs. */
export function recordMs(histogram: Histogram, ms: number) {
  const us = Math.round(ms * 1000);
  histogram.recordValue(Math.min(Math.max(us, 1), settings.highestTrackableValue));
}

/** Compact form for IPC between client workers and the driver. */
export function encodeHistogram(histogram: Histogram): string {
  return hdr.encodeIntoCompressedBase64(histogram);
}

/** Adds encoded worker histograms into one. */
export function mergeHistograms(encoded: readonly string[]): Histogram {
  const total = createHistogram();
  for (const item of encoded) total.add(hdr.decodeFromCompressedBase64(item));
  return total;
}

/** Percentiles of a latency histogram, in milliseconds (3 decimals). */
export interface LatencySummary {
  count: number;
  p50: number;
  p95: number;
  p99: number;
  p999: number;
  max: number;
  mean: number;
}

const ms = (us: number) => Math.round(us) / 1000;

/** Summarises a histogram recorded with {@link recordMs}; all zeros when it is empty. */
export function summarize(histogram: Histogram): LatencySummary {
  if (histogram.totalCount === 0) {
    return { count: 0, p50: 0, p95: 0, p99: 0, p999: 0, max: 0, mean: 0 };
  }
  return {
    count: histogram.totalCount,
    p50: ms(histogram.getValueAtPercentile(50)),
    p95: ms(histogram.getValueAtPercentile(95)),
    p99: ms(histogram.getValueAtPercentile(99)),
    p999: ms(histogram.getValueAtPercentile(99.9)),
    max: ms(histogram.maxValue),
    mean: ms(histogram.mean),
  };
}
