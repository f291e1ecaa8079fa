import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { createOfflineQueue } from '../queue.ts';
import { createFakeApi } from '../testing/fake-api.ts';
import { IndexedDbStorage } from './indexeddb-storage.ts';

const BRANCH = '0190a0a0-0000-7000-8000-000000000001';

function queueOn(databaseName: string, fetchImpl: typeof fetch) {
  return createOfflineQueue({
    apiUrl: 'http://fake.local',
    fetch: fetchImpl,
    storage: new IndexedDbStorage({ databaseName }),
    locks: null,
    onlineEvents: null,
  });
}

describe('IndexedDbStorage', () => {
  it('keeps the queue across a reload and replays it once from the new page', async () => {
    const api = createFakeApi();
    api.setBehaviour(() => 'offline');
    const before = queueOn('reload-test', api.fetch);
    const create = await before.queueOperation({
      resource: 'clients',
      action: 'create',
      data: { branchId: BRANCH, fullName: 'Bo' },
    });
    await before.queueOperation({
      resource: 'clients',
      action: 'update',
      id: create.recordId,
      data: { phone: '555 1234' },
    });
    await before.syncAll();
    await before.close();

    // A new page: new storage handle and queue on the same database.
    api.setBehaviour(() => 'serve');
    const after = queueOn('reload-test', api.fetch);
    const ops = await after.getQueue();
    expect(ops.map((op) => [op.action, op.status, op.attempts])).toEqual([
      ['create', 'pending', 1],
      ['update', 'pending', 0],
    ]);
    expect(ops[0]?.idempotencyKey).toBe(create.idempotencyKey);
    const summary = await after.syncAll();
    expect(summary).toMatchObject({
      synced: 2,
      stats: { total: 0, lastSyncAt: expect.any(Number) },
    });
    expect(api.effects.map((e) => e.version)).toEqual([1, 2]);
    await after.close();

    const reopened = queueOn('reload-test', api.fetch);
    expect((await reopened.getStats()).lastSyncAt).toBe(summary.stats.lastSyncAt);
    await reopened.close();
  });

  it('lets one holder at a time take the lease, and a new one after it expires', async () => {
    const a = new IndexedDbStorage({ databaseName: 'lease-test' });
    const b = new IndexedDbStorage({ databaseName: 'lease-test' });
    expect(await a.acquireLease('tab-a', 1000, 0)).toBe(true);
    expect(await b.acquireLease('tab-b', 1000, 500)).toBe(false);
    expect(await a.acquireLease('tab-a', 1000, 900)).toBe(true);
    expect(await b.acquireLease('tab-b', 1000, 1500)).toBe(false);
    expect(await b.acquireLease('tab-b', 1000, 1901)).toBe(true);
    await b.releaseLease('tab-b');
    expect(await a.acquireLease('tab-a', 1000, 1902)).toBe(true);
    await Promise.all([a.close(), b.close()]);
  });

  it('rolls a mutation back when its callback throws', async () => {
    const storage = new IndexedDbStorage({ databaseName: 'abort-test' });
    const queue = createOfflineQueue({ storage, locks: null, onlineEvents: null });
    await expect(
      queue.queueOperation({ resource: 'clients', action: 'update', id: BRANCH, data: {} }),
    ).rejects.toThrow(/baseVersion/);
    expect(await storage.load()).toEqual([]);
    await queue.close();
  });
});
