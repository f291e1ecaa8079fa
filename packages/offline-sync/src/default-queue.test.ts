import { expect, it } from 'vitest';
import { getOfflineSyncQueue, offlineSyncQueue } from './default-queue.ts';
import { MemoryStorage } from './storage/memory-storage.ts';
import { createFakeApi } from './testing/fake-api.ts';

it('offlineSyncQueue is created lazily with the configured options and works as the guide shows', async () => {
  const api = createFakeApi();
  offlineSyncQueue.configure({
    apiUrl: 'http://fake.local',
    fetch: api.fetch,
    storage: new MemoryStorage(),
    locks: null,
    onlineEvents: null,
    syncOnQueue: false,
  });
  const op = await offlineSyncQueue.queueOperation({
    resource: 'clients',
    action: 'create',
    data: { branchId: '0190a0a0-0000-7000-8000-000000000001', fullName: 'Bo' },
  });
  expect(() => offlineSyncQueue.configure({})).toThrow(/already in use/);
  expect((await offlineSyncQueue.getStats()).total).toBe(1);
  expect((await offlineSyncQueue.syncAll()).stats).toMatchObject({ total: 0 });
  expect(api.effects).toHaveLength(1);
  expect(api.rows.has(`clients/${op.recordId}`)).toBe(true);
  await getOfflineSyncQueue().close();
});
