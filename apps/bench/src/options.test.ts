import { describe, expect, it } from 'vitest';
import { branchCount, OptionError, parseOptions } from './options.ts';

describe('parseOptions', () => {
  it('applies defaults, then env, then flags', () => {
    const defaults = parseOptions([], {}, '/r');
    expect(defaults).toMatchObject({
      connections: 3000,
      rate: 200,
      durationSec: 20,
      resultsDir: '/r',
    });
    const fromEnv = parseOptions([], { BENCH_RATE: '50' }, '/r');
    expect(fromEnv).toMatchObject({ rate: 50 });
    const fromFlag = parseOptions(
      ['--', '--rate', '75', '--connections', '10000'],
      { BENCH_RATE: '50' },
      '/r',
    );
    expect(fromFlag).toMatchObject({ rate: 75, connections: 10000 });
  });

  it('uses the quick preset but lets flags override it', () => {
    expect(parseOptions(['--quick'], {}, '/r')).toMatchObject({
      quick: true,
      connections: 300,
      rate: 50,
    });
    expect(parseOptions(['--quick', '--rate', '20'], {}, '/r')).toMatchObject({ rate: 20 });
  });

  it('names the flag at fault', () => {
    expect(() => parseOptions(['--rate', 'fast'], {}, '/r')).toThrow(OptionError);
    expect(() => parseOptions(['--connections', '0'], {}, '/r')).toThrow(/--connections/);
    expect(() => parseOptions(['--bogus'], {}, '/r')).toThrow();
  });

  it('turns baselines off and asks for help', () => {
    expect(parseOptions(['--no-baselines'], {}, '/r')).toMatchObject({ baselines: false });
    expect(parseOptions(['-h'], {}, '/r')).toBe('help');
  });
});

describe('branchCount', () => {
  it('makes rooms of about roomSize subscribers', () => {
    expect(branchCount(10_000, 200)).toBe(50);
    expect(branchCount(300, 200)).toBe(2);
    expect(branchCount(1, 200)).toBe(1);
  });
});
