import { describe, expect, it } from 'vitest';
import { changedFields, diffFields, sameValue } from './field-diff.ts';

describe('diffFields', () => {
  it('lists each field of my patch next to the server value and says which differ', () => {
    const mine = { fullName: 'Amina O.', phone: '+256 700 000001', version: 3 };
    const theirs = { id: 'x', fullName: 'Amina Okello', phone: '+256 700 000001', version: 4 };
    expect(diffFields(mine, theirs)).toEqual([
      { field: 'fullName', mine: 'Amina O.', theirs: 'Amina Okello', differs: true },
      { field: 'phone', mine: '+256 700 000001', theirs: '+256 700 000001', differs: false },
    ]);
  });

  it('treats a field the server lacks as differing', () => {
    expect(diffFields({ notes: '' }, {})[0]?.differs).toBe(true);
  });
});

describe('changedFields', () => {
  it('keeps only what the user changed', () => {
    const original = { fullName: 'A', email: null, address: 'x', notes: '' };
    const edited = { fullName: 'A', email: 'a@b.co', address: 'x', notes: '' };
    expect(changedFields(original, edited)).toEqual({ email: 'a@b.co' });
  });

  it('compares nested values by content', () => {
    expect(sameValue({ a: [1, { b: 2 }] }, { a: [1, { b: 2 }] })).toBe(true);
    expect(sameValue([1, 2], { 0: 1, 1: 2 })).toBe(false);
    expect(changedFields({ items: [1] }, { items: [1] })).toEqual({});
  });
});
