import { describe, expect, it } from 'vitest';
import { decodeHistoryCursor, diffVersions, encodeHistoryCursor } from './history.ts';

describe('diffVersions', () => {
  const v1 = {
    id: 'a',
    version: 1,
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
    lastSyncedAt: null,
    fullName: 'Amina',
    phone: null,
    notes: '',
    items: [{ productId: 'p', quantity: 1 }],
  };

  it('lists the non-empty fields of a create against null, bookkeeping left out', () => {
    expect(diffVersions(null, v1)).toEqual([
      { field: 'fullName', before: null, after: 'Amina' },
      { field: 'items', before: null, after: [{ productId: 'p', quantity: 1 }] },
    ]);
  });

  it('lists only fields whose value changed, compared deeply, by name', () => {
    const v2 = {
      ...v1,
      version: 2,
      updatedAt: '2026-01-02T00:00:00.000Z',
      phone: '+256700',
      items: [{ productId: 'p', quantity: 1 }],
      notes: 'x',
    };
    expect(diffVersions(v1, v2)).toEqual([
      { field: 'notes', before: '', after: 'x' },
      { field: 'phone', before: null, after: '+256700' },
    ]);
    expect(diffVersions(v2, { ...v2, items: [{ productId: 'p', quantity: 2 }] })).toEqual([
      { field: 'items', before: v2.items, after: [{ productId: 'p', quantity: 2 }] },
    ]);
  });

  it('reports a field the newer version lacks as null after', () => {
    const { notes: _n, ...withoutNotes } = { ...v1, notes: 'old' };
    expect(diffVersions({ ...v1, notes: 'old' }, withoutNotes)).toEqual([
      { field: 'notes', before: 'old', after: null },
    ]);
  });
});

describe('history cursor', () => {
  it('round-trips and refuses anything it did not issue', () => {
    expect(decodeHistoryCursor(encodeHistoryCursor({ version: 7, id: 42 }))).toEqual({
      version: 7,
      id: 42,
    });
    for (const bad of [
      '',
      '!!',
      'abc',
      Buffer.from('[0,1]').toString('base64url'),
      'x'.repeat(101),
    ]) {
      expect(() => decodeHistoryCursor(bad), bad).toThrow(/cursor/);
    }
  });
});
