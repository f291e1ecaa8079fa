import { describe, expect, it } from 'vitest';
import {
  createHistogram,
  encodeHistogram,
  mergeHistograms,
  recordMs,
  summarize,
} from './histogram.ts';

describe('latency histogram', () => {
  it('summarises percentiles in milliseconds', () => {
    const h = createHistogram();
    for (let ms = 1; ms <= 100; ms++) recordMs(h, ms);
    const s = summarize(h);
    expect(s.count).toBe(100);
    expect(s.p50).toBeCloseTo(50, 0);
    expect(s.p99).toBeCloseTo(99, 0);
    expect(s.max).toBeCloseTo(100, 0);
  });

  it('counts clock-rounding negatives as the smallest value instead of dropping them', () => {
    const h = createHistogram();
    recordMs(h, -0.4);
    expect(summarize(h).count).toBe(1);
  });

  it('merges what workers encoded', () => {
    const a = createHistogram();
    const b = createHistogram();
    recordMs(a, 2);
    recordMs(b, 8);
    const merged = summarize(mergeHistograms([encodeHistogram(a), encodeHistogram(b)]));
    expect(merged.count).toBe(2);
    expect(merged.max).toBeCloseTo(8, 1);
  });

  it('is all zeros when empty', () => {
    expect(summarize(createHistogram())).toMatchObject({ count: 0, p99: 0, max: 0 });
  });
});
