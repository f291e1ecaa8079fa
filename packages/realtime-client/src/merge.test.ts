import type { ChangeEvent } from '@dynapharm/types';
import { describe, expect, it } from 'vitest';
import { backoffDelay } from './backoff.ts';
import { ChangeMerger } from './merge.ts';

const change = (offset: number, id: string, version: number): ChangeEvent => ({
  resource: 'clients',
  action: version === 1 ? 'created' : 'updated',
  id,
  branchId: null,
  version,
  offset,
  epoch: '0193a1b2-0000-7000-8000-0000000000e1',
  at: new Date(0).toISOString(),
  data: {},
});

describe('ChangeMerger', () => {
  it('accepts each offset once and only newer versions of a record', () => {
    const m = new ChangeMerger(10);
    expect(m.accept(change(9, 'a', 1))).toBe(false); // before the start
    expect(m.accept(change(11, 'a', 1))).toBe(true);
    expect(m.accept(change(11, 'a', 1))).toBe(false); // duplicate offset
    expect(m.accept(change(12, 'a', 3))).toBe(true);
    expect(m.accept(change(13, 'a', 2))).toBe(false); // stale version
    expect(m.lastOffset).toBe(13);
  });

  it('ignores events older than a version the page already holds', () => {
    const m = new ChangeMerger(0);
    m.noteVersion('clients', 'b', 4);
    expect(m.accept(change(1, 'b', 4))).toBe(false);
    expect(m.accept(change(2, 'b', 5))).toBe(true);
  });
});

describe('backoffDelay', () => {
  it('grows with attempts and stays within bounds', () => {
    expect(backoffDelay(0, 500, 15_000, () => 0)).toBe(250);
    expect(backoffDelay(20, 500, 15_000, () => 1)).toBe(15_000);
    expect(backoffDelay(3, 500, 15_000, () => 1)).toBe(4000);
  });

  it('passes published changes on their version alone, without moving the offset', () => {
    const m = new ChangeMerger(10);
    const { offset: _offset, epoch: _epoch, ...published } = change(0, 'b', 2);
    expect(m.accept(published)).toBe(true);
    expect(m.lastOffset).toBe(10);
    expect(m.accept(published)).toBe(false);
    expect(m.accept(change(11, 'b', 2))).toBe(false);
    expect(m.lastOffset).toBe(11);
  });
});
