import { startTestApi, type TestApi } from '@dynapharm/api/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOfflineQueue } from './queue.ts';
import { MemoryStorage } from './storage/memory-storage.ts';

let t: TestApi;
let staff: string;
let branch: string;

interface ClientRow {
  id: string;
  version: number;
  phone: string | null;
  notes: string;
}

beforeAll(async () => {
  t = await startTestApi({ relay: false });
  const [first] = t.branches;
  if (!first) throw new Error('seed created no branches');
  branch = first.id;
  staff = await t.token('staff', [branch], 'offline-staff');
});
afterAll(async () => {
  await t?.close();
});

async function syncLog(recordId: string) {
  const { rows } = await t.api.pool.query<{ version: number; origin: string | null }>(
    'SELECT version, origin FROM sync_log WHERE record_id = $1 ORDER BY version',
    [recordId],
  );
  return rows;
}

async function seededClients(): Promise<ClientRow[]> {
  const res = await t.request(`/api/clients?branchId=${branch}&limit=10`, { token: staff });
  const { items } = (await res.json()) as { items: ClientRow[] };
  return items;
}

async function getClient(id: string): Promise<ClientRow> {
  return (await (await t.request(`/api/clients/${id}`, { token: staff })).json()) as ClientRow;
}

/**
 * The branch's network: `offline` fails before the request leaves,
 * `lose-first-answer` lets each request reach the server but drops the answer
 * the first time a given idempotency key is sent.
 */
function flakyNetwork() {
  let mode: 'offline' | 'online' | 'lose-first-answer' = 'offline';
  const answered = new Set<string>();
  let replayed = 0;
  const fetchImpl: typeof fetch = async (input, init) => {
    if (mode === 'offline') throw new TypeError('Failed to fetch');
    const res = await fetch(input, init);
    if (res.headers.get('idempotent-replayed') === 'true') replayed += 1;
    const key = new Headers(init?.headers).get('idempotency-key') ?? '';
    if (mode === 'lose-first-answer' && !answered.has(key)) {
      answered.add(key);
      throw new TypeError('Failed to fetch');
    }
    return res;
  };
  return {
    fetch: fetchImpl,
    set(next: typeof mode) {
      mode = next;
    },
    replayed: () => replayed,
  };
}

function queueFor(network: ReturnType<typeof flakyNetwork>) {
  return createOfflineQueue({
    apiUrl: t.url,
    token: () => staff,
    fetch: network.fetch,
    storage: new MemoryStorage(),
    locks: null,
    onlineEvents: null,
  });
}

describe('offline queue against the real API', () => {
  it('lands offline writes exactly once, even when the server committed and the answer was lost', async () => {
    const [existing] = await seededClients();
    if (!existing) throw new Error('no seeded client');
    const existingLog = (await syncLog(existing.id)).length;
    const network = flakyNetwork();
    const queue = queueFor(network);

    const create = await queue.queueOperation({
      resource: 'clients',
      action: 'create',
      data: { branchId: branch, fullName: 'Offline Okello' },
    });
    const edit = await queue.queueOperation({
      resource: 'clients',
      action: 'update',
      id: create.recordId,
      data: { phone: '+256 700 123456' },
    });
    await queue.queueOperation({
      resource: 'clients',
      action: 'update',
      id: existing.id,
      data: { notes: 'visited while offline' },
      baseVersion: existing.version,
    });

    const offline = await queue.syncAll();
    expect(offline).toMatchObject({ synced: 0, retryScheduled: true, stats: { pending: 3 } });
    expect(await syncLog(create.recordId)).toEqual([]);

    // Every request commits, but its first answer never arrives: each pass
    // stops after one write, and the next pass replays it with the same key.
    network.set('lose-first-answer');
    const passes = [];
    for (let i = 0; i < 4; i++) passes.push(await queue.syncAll());
    expect(passes.map((p) => p.synced)).toEqual([0, 1, 1, 1]);
    expect(network.replayed()).toBe(3);
    expect((await queue.getStats()).total).toBe(0);

    network.set('online');
    expect((await queue.syncAll()).attempted).toBe(0);

    const created = await getClient(create.recordId);
    expect(created).toMatchObject({ version: 2, phone: '+256 700 123456' });
    expect(await syncLog(create.recordId)).toEqual([
      { version: 1, origin: create.idempotencyKey },
      { version: 2, origin: edit.idempotencyKey },
    ]);
    const updated = await getClient(existing.id);
    expect(updated).toMatchObject({
      version: existing.version + 1,
      notes: 'visited while offline',
    });
    expect(await syncLog(existing.id)).toHaveLength(existingLog + 1);
  });

  it('turns a stale update into a conflict with both versions; "mine" lands on top of theirs', async () => {
    const [, record] = await seededClients();
    if (!record) throw new Error('no seeded client');
    const network = flakyNetwork();
    const queue = queueFor(network);
    const op = await queue.queueOperation({
      resource: 'clients',
      action: 'update',
      id: record.id,
      data: { phone: '+256 700 999888' },
      baseVersion: record.version,
    });

    // Meanwhile someone at head office edits the same client.
    const theirs = await t.request(`/api/clients/${record.id}`, {
      method: 'PATCH',
      token: await t.token('admin'),
      headers: { 'if-match': `"${record.version}"` },
      json: { notes: 'changed at head office' },
    });
    expect(theirs.status).toBe(200);

    network.set('online');
    expect(await queue.syncAll()).toMatchObject({ conflicts: 1, stats: { conflicts: 1 } });
    const [conflicted] = await queue.getQueue();
    expect(conflicted?.conflict).toMatchObject({
      mine: { data: { phone: '+256 700 999888' }, baseVersion: record.version },
      theirs: { id: record.id, version: record.version + 1, notes: 'changed at head office' },
    });
    expect(await getClient(record.id)).toMatchObject({
      version: record.version + 1,
      phone: record.phone,
    });

    await queue.resolveConflict(op.opId, { strategy: 'mine' });
    expect(await queue.syncAll()).toMatchObject({ synced: 1, stats: { total: 0 } });
    expect(await getClient(record.id)).toMatchObject({
      version: record.version + 2,
      phone: '+256 700 999888',
      notes: 'changed at head office',
    });
    const log = await syncLog(record.id);
    expect(log.at(-1)).toMatchObject({ version: record.version + 2 });
    expect(log.filter((row) => row.version > record.version)).toHaveLength(2);
  });
});
