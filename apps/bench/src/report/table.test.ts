import { describe, expect, it } from 'vitest';
import { computeRatios } from '../stats/ratios.ts';
import { writesVersus } from './table.ts';

const inputs = {
  latencyP50Ms: 4,
  latencyP99Ms: 40,
  socketioRedisP99Ms: 30,
  deliveredPerSec: 40_000,
  socketioRedisDeliveredPerSec: 40_000,
  rawWsDeliveredPerSec: 100_000,
  apiWritesPerSec: 300,
  bareHttpWritesPerSec: 400,
  plainInsertsPerSec: 4000,
  heapBytesPerConnection: 8000,
};

describe('writesVersus', () => {
  it('shows API ÷ baseline and the target with its verdict', () => {
    const r = computeRatios(inputs);
    expect(writesVersus(r.apiWritesVsBareHttp)).toEqual(['0.75×', '≥ 0.6× met']);
    expect(writesVersus(r.apiWritesVsPlainInserts)).toEqual(['0.075×', '≥ 0.15× MISSED']);
  });

  it('shows n/a when the baseline did not run', () => {
    const r = computeRatios({ ...inputs, bareHttpWritesPerSec: null });
    expect(writesVersus(r.apiWritesVsBareHttp)).toEqual(['—', '≥ 0.6× n/a']);
  });
});
