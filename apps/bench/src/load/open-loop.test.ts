import { describe, expect, it } from 'vitest';
import { dueArrivals } from './open-loop.ts';

describe('dueArrivals', () => {
  it('follows the clock, not the completions', () => {
    expect(dueArrivals(0, 200)).toBe(0);
    expect(dueArrivals(1000, 200)).toBe(200);
    expect(dueArrivals(2500, 200)).toBe(500);
    expect(dueArrivals(4, 200)).toBe(0);
    expect(dueArrivals(5, 200)).toBe(1);
  });
});
