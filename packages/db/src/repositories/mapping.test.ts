import { describe, expect, it } from 'vitest';
import { canRead, canWrite } from '../scope.ts';
import { sameValue } from './mapping.ts';

describe('sameValue', () => {
  it('compares nested values structurally', () => {
    expect(sameValue({ a: [1, { b: null }] }, { a: [1, { b: null }] })).toBe(true);
    expect(sameValue({ a: [1, 2] }, { a: [2, 1] })).toBe(false);
    expect(sameValue({ a: 1 }, { a: 1, b: undefined })).toBe(true);
    expect(sameValue(new Date(0), new Date(0))).toBe(true);
    expect(sameValue(null, {})).toBe(false);
  });
});

describe('scope', () => {
  it('lets everyone read global rows but only "all" write them', () => {
    expect(canRead([], null)).toBe(true);
    expect(canWrite(['b1'], null)).toBe(false);
    expect(canWrite('all', null)).toBe(true);
    expect(canRead(['b1'], 'b2')).toBe(false);
    expect(canWrite(['b1'], 'b1')).toBe(true);
  });
});
