import type { QueuedOperation } from '@dynapharm/offline-sync';
import { describe, expect, it } from 'vitest';
import { overlayQueued } from './optimistic.ts';

const op = (over: Partial<QueuedOperation>): QueuedOperation => ({
  opId: 'op',
  seq: 1,
  resource: 'clients',
  action: 'create',
  method: 'POST',
  recordId: 'new',
  data: {},
  baseVersion: undefined,
  after: undefined,
  idempotencyKey: 'k',
  status: 'pending',
  attempts: 0,
  serverErrors: 0,
  nextAttemptAt: undefined,
  lastError: undefined,
  conflict: undefined,
  createdAt: 0,
  updatedAt: 0,
  ...over,
});

const rows = [{ id: 'r1', version: 2, branchId: 'b1', fullName: 'One' }];

describe('overlayQueued', () => {
  it('shows a create made offline at once, marked pending', () => {
    const out = overlayQueued(
      rows,
      [op({ data: { fullName: 'New', branchId: 'b1' } })],
      'clients',
      'b1',
    );
    expect(out.map((r) => [r.id, r.syncMark])).toEqual([
      ['new', 'pending'],
      ['r1', undefined],
    ]);
  });

  it('does not show a create twice once the server row is there', () => {
    expect(overlayQueued(rows, [op({ recordId: 'r1' })], 'clients')).toHaveLength(1);
  });

  it('lays queued updates on top and marks deletes and conflicts', () => {
    const update = op({ action: 'update', recordId: 'r1', data: { fullName: 'Uno' } });
    expect(overlayQueued(rows, [update], 'clients')[0]).toMatchObject({
      fullName: 'Uno',
      syncMark: 'pending',
    });
    const del = op({ action: 'delete', recordId: 'r1' });
    expect(overlayQueued(rows, [del], 'clients')[0]?.syncMark).toBe('deleting');
    const conflict = op({ action: 'update', recordId: 'r1', status: 'conflict' });
    expect(overlayQueued(rows, [conflict], 'clients')[0]?.syncMark).toBe('conflict');
  });

  it('ignores other resources and other branches', () => {
    expect(overlayQueued(rows, [op({ resource: 'orders' })], 'clients')).toHaveLength(1);
    expect(overlayQueued(rows, [op({ data: { branchId: 'b2' } })], 'clients', 'b1')).toHaveLength(
      1,
    );
  });

  it('keeps a landed update until the replica row is newer than its base version', () => {
    const landed = {
      ...op({ action: 'update', recordId: 'r1', data: { fullName: 'Uno' } }),
      landed: true,
    };
    expect(overlayQueued(rows, [{ ...landed, baseVersion: 2 }], 'clients')[0]).toMatchObject({
      fullName: 'Uno',
      syncMark: 'pending',
    });
    const confirmed = [{ id: 'r1', version: 3, branchId: 'b1', fullName: 'Uno' }];
    expect(overlayQueued(confirmed, [{ ...landed, baseVersion: 2 }], 'clients')[0]?.syncMark).toBe(
      undefined,
    );
  });
});
