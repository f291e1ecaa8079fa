import { describe, expect, it } from 'vitest';
import { computeRatios } from './ratios.ts';

const base = {
  latencyP50Ms: 4,
  latencyP99Ms: 60,
  socketioRedisP99Ms: 30,
  deliveredPerSec: 40_000,
  socketioRedisDeliveredPerSec: 40_000,
  rawWsDeliveredPerSec: 100_000,
  apiWritesPerSec: 600,
  plainInsertsPerSec: 1000,
  heapBytesPerConnection: 8000,
};

describe('computeRatios', () => {
  it('checks every §8 target against its bound', () => {
    const r = computeRatios(base);
    expect(r.latencyP50).toMatchObject({ met: true, ratio: 0.8 });
    expect(r.latencyP99).toMatchObject({ met: false, ratio: 1.2 });
    expect(r.p99VsSocketioRedis).toMatchObject({ met: false, bound: 30, ratio: 2 });
    expect(r.deliveredVsSocketioRedis).toMatchObject({ met: true, ratio: 1 });
    expect(r.deliveredVsRawWs).toMatchObject({ met: false, bound: 50_000, ratio: 0.8 });
    expect(r.apiWritesVsPlainInserts).toMatchObject({ met: false, bound: 700 });
    expect(r.heapPerConnection).toMatchObject({ met: true });
  });

  it('reports n/a when a baseline was not run', () => {
    const r = computeRatios({ ...base, socketioRedisP99Ms: null, plainInsertsPerSec: null });
    expect(r.p99VsSocketioRedis).toMatchObject({ met: null, ratio: null });
    expect(r.apiWritesVsPlainInserts.met).toBeNull();
  });
});
