import { describe, expect, it } from 'vitest';
import { apiVsBareHttpTarget, apiVsPlainInsertsTarget, computeRatios } from './ratios.ts';

const base = {
  latencyP50Ms: 4,
  latencyP99Ms: 60,
  socketioRedisP99Ms: 30,
  deliveredPerSec: 40_000,
  socketioRedisDeliveredPerSec: 40_000,
  rawWsDeliveredPerSec: 100_000,
  apiWritesPerSec: 600,
  bareHttpWritesPerSec: 1500,
  plainInsertsPerSec: 5000,
  heapBytesPerConnection: 8000,
};

describe('computeRatios', () => {
  it('checks every target against its bound', () => {
    const r = computeRatios(base);
    expect(r.latencyP50).toMatchObject({ met: true, ratio: 0.8 });
    expect(r.latencyP99).toMatchObject({ met: false, ratio: 1.2 });
    expect(r.p99VsSocketioRedis).toMatchObject({ met: false, bound: 30, ratio: 2, share: 2 });
    expect(r.deliveredVsSocketioRedis).toMatchObject({ met: true, ratio: 1 });
    expect(r.deliveredVsRawWs).toMatchObject({ met: false, bound: 50_000, ratio: 0.8, share: 0.4 });
    expect(r.heapPerConnection).toMatchObject({ met: true });
  });

  it('holds API writes to 0.6 × the bare endpoint and 0.15 × plain INSERTs', () => {
    expect(apiVsBareHttpTarget).toBe(0.6);
    expect(apiVsPlainInsertsTarget).toBe(0.15);
    const r = computeRatios(base);
    // 600 of 1500 is 0.4 × the bare endpoint, under the 0.6 × (900/s) asked for.
    expect(r.apiWritesVsBareHttp).toEqual({
      target: 'API writes/s ≥ 0.6 × bare Express + pg endpoint',
      measured: 600,
      bound: 900,
      ratio: 0.667,
      kind: 'at-least',
      met: false,
      baseline: 1500,
      fraction: 0.6,
      share: 0.4,
    });
    // 600 of 5000 is 0.12 × plain INSERTs, under the 0.15 × (750/s) asked for.
    expect(r.apiWritesVsPlainInserts).toMatchObject({
      measured: 600,
      bound: 750,
      ratio: 0.8,
      met: false,
      baseline: 5000,
      fraction: 0.15,
      share: 0.12,
    });
  });

  it('counts a target met exactly at its bound', () => {
    const r = computeRatios({ ...base, apiWritesPerSec: 900, plainInsertsPerSec: 6000 });
    expect(r.apiWritesVsBareHttp).toMatchObject({ met: true, ratio: 1, share: 0.6 });
    expect(r.apiWritesVsPlainInserts).toMatchObject({ met: true, ratio: 1, share: 0.15 });
  });

  it('keeps bounds free of floating-point noise', () => {
    // 0.6 × 333 is 199.79999999999998 in binary floating point.
    const r = computeRatios({ ...base, bareHttpWritesPerSec: 333 });
    expect(r.apiWritesVsBareHttp.bound).toBe(199.8);
  });

  it('reports n/a when a baseline was not run or measured nothing', () => {
    const r = computeRatios({
      ...base,
      socketioRedisP99Ms: null,
      bareHttpWritesPerSec: null,
      plainInsertsPerSec: 0,
    });
    expect(r.p99VsSocketioRedis).toMatchObject({ met: null, ratio: null, share: null });
    expect(r.apiWritesVsBareHttp).toMatchObject({
      met: null,
      ratio: null,
      bound: null,
      baseline: null,
      share: null,
    });
    expect(r.apiWritesVsPlainInserts).toMatchObject({ met: null, share: null, baseline: 0 });
  });

  it('reports n/a when our API figure is missing', () => {
    const r = computeRatios({ ...base, apiWritesPerSec: null });
    expect(r.apiWritesVsBareHttp).toMatchObject({ met: null, share: null, bound: 900 });
  });
});
