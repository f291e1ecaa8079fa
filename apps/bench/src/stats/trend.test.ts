import { describe, expect, it } from 'vitest';
import { leastSquaresSlope, trend } from './trend.ts';

describe('leastSquaresSlope', () => {
  it('recovers the slope of an exact line', () => {
    const points = [0, 10, 20, 30].map((t) => ({ t, v: 5 + 2 * t }));
    expect(leastSquaresSlope(points)).toBeCloseTo(2, 10);
  });

  it('fits through noise rather than joining the ends', () => {
    // Ends are equal, but the middle rises: the fitted line is flat, not the chord.
    expect(
      leastSquaresSlope([
        { t: 0, v: 1 },
        { t: 1, v: 3 },
        { t: 2, v: 1 },
      ]),
    ).toBeCloseTo(0, 10);
    expect(
      leastSquaresSlope([
        { t: 0, v: 0 },
        { t: 1, v: 1 },
        { t: 2, v: 1 },
        { t: 3, v: 2 },
      ]),
    ).toBeCloseTo(0.6, 10);
  });

  it('is null when it cannot be fitted', () => {
    expect(leastSquaresSlope([])).toBeNull();
    expect(leastSquaresSlope([{ t: 5, v: 1 }])).toBeNull();
    expect(
      leastSquaresSlope([
        { t: 5, v: 1 },
        { t: 5, v: 2 },
      ]),
    ).toBeNull();
  });
});

describe('trend', () => {
  it('reports first, last, change per hour and slope per hour', () => {
    // 100 MB growing 1 MB a minute, sampled every 30 s for 30 minutes.
    const points = Array.from({ length: 61 }, (_, i) => ({ t: i * 30, v: 100 + i * 0.5 }));
    expect(trend(points)).toEqual({
      first: 100,
      last: 130,
      change: 30,
      changePerHour: 60,
      slopePerHour: 60,
      points: 61,
    });
  });

  it('measures the span from the first point, not from zero', () => {
    const r = trend([
      { t: 600, v: 10 },
      { t: 1200, v: 12 },
    ]);
    expect(r?.changePerHour).toBe(12);
    expect(r?.slopePerHour).toBe(12);
  });

  it('handles one point and none', () => {
    expect(trend([{ t: 30, v: 7 }])).toEqual({
      first: 7,
      last: 7,
      change: 0,
      changePerHour: null,
      slopePerHour: null,
      points: 1,
    });
    expect(trend([])).toBeNull();
  });
});
