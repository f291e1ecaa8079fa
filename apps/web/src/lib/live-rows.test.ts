import type { ChangeEvent } from '@dynapharm/types';
import { describe, expect, it } from 'vitest';
import { applyLiveChange } from './live-rows.ts';

const A = '0193a1b2-0000-7000-8000-00000000000a';
const B = '0193a1b2-0000-7000-8000-00000000000b';
type Row = { id: string; version: number; branchId: string; fullName: string };
const rows: Row[] = [{ id: 'r1', version: 2, branchId: A, fullName: 'One' }];

const event = (over: Partial<ChangeEvent>): Parameters<typeof applyLiveChange>[1] => ({
  action: 'updated',
  id: 'r1',
  version: 3,
  branchId: A,
  data: {},
  ...over,
});

describe('applyLiveChange', () => {
  it('replaces a row with a newer version', () => {
    const r = applyLiveChange(rows, event({ data: { fullName: 'Uno' } }));
    expect(r.changed).toBe(true);
    expect(r.rows[0]).toMatchObject({ fullName: 'Uno', version: 3 });
  });

  it('ignores replayed or older versions', () => {
    expect(applyLiveChange(rows, event({ version: 2, data: { fullName: 'old' } })).changed).toBe(
      false,
    );
  });

  it('puts a created row of the shown branch on top, and skips other branches', () => {
    const created = event({ action: 'created', id: 'r2', version: 1, data: { fullName: 'Two' } });
    expect(applyLiveChange(rows, created, { branchId: A }).rows.map((r) => r.id)).toEqual([
      'r2',
      'r1',
    ]);
    expect(applyLiveChange(rows, { ...created, branchId: B }, { branchId: A }).changed).toBe(false);
  });

  it('removes deleted rows and rows that leave the filter', () => {
    expect(applyLiveChange(rows, event({ action: 'deleted' })).rows).toEqual([]);
    const moved = applyLiveChange(rows, event({ data: { fullName: 'x' } }), {
      matches: (r) => r.fullName !== 'x',
    });
    expect(moved.rows).toEqual([]);
  });
});
