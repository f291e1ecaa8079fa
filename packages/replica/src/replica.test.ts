import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { deleteOtherReplicas, Replica, type ReplicaOptions } from './replica.ts';
import type { ReplicaScope } from './rows.ts';
import { IndexedDbReplicaStore } from './store.ts';
import {
  BRANCH_A,
  BRANCH_B,
  change,
  client,
  EPOCH_1,
  EPOCH_2,
  FakeClient,
  type FakeServer,
  fakeServer,
  uuid,
} from './testing/fakes.ts';

const manager: ReplicaScope = { role: 'manager', branches: [BRANCH_A, BRANCH_B] };
const opened: Replica[] = [];

function replicaFor(server: FakeServer, over: Partial<ReplicaOptions> = {}) {
  const clients: FakeClient[] = [];
  const replica = new Replica({
    userId: over.userId ?? `user-${uuid()}`,
    scope: manager,
    resources: ['clients'],
    token: () => 'token',
    apiUrl: 'http://api.test',
    fetch: server.fetch,
    createClient: (options) => {
      const c = new FakeClient(options);
      clients.push(c);
      return c;
    },
    retryDelayMs: { min: 5, max: 20 },
    snapshotPageSize: 2,
    ...over,
  });
  opened.push(replica);
  return { replica, clients };
}

const names = async (replica: Replica, branchId?: string) =>
  (
    await replica.query<{ fullName: string }>('clients', {
      branchId,
      sort: { by: 'fullName', dir: 'asc' },
    })
  ).items.map((c) => c.fullName);

/** Waits for the replica's write queue to drain. */
const settled = (replica: Replica) => replica.putRecords('clients', []);

afterEach(async () => {
  for (const r of opened.splice(0)) await r.destroy().catch(() => undefined);
});

describe('Replica', () => {
  it('cold start: every snapshot page, then live from the snapshot position', async () => {
    const server = fakeServer([
      { resource: 'clients', record: client(BRANCH_A, 'Ann') },
      { resource: 'clients', record: client(BRANCH_A, 'Bob') },
      { resource: 'clients', record: client(BRANCH_B, 'Cid') },
    ]);
    server.offset = 41;
    const { replica, clients } = replicaFor(server);
    await replica.start();
    await replica.ready;
    expect(server.requests).toHaveLength(2);
    expect(server.requests[0]?.searchParams.get('resources')).toBe('clients');
    expect(await names(replica)).toEqual(['Ann', 'Bob', 'Cid']);
    expect(await names(replica, BRANCH_B)).toEqual(['Cid']);
    await vi.waitFor(() => expect(clients).toHaveLength(1));
    expect(clients[0]?.options).toMatchObject({ initialOffset: 41, initialEpoch: EPOCH_1 });
    expect(replica.status).toMatchObject({ state: 'online', hasData: true, offset: 41 });
  });

  it('never replaces a row with an older version, and keeps deleted rows from coming back', async () => {
    const dora = client(BRANCH_A, 'Dora', 3);
    const server = fakeServer([{ resource: 'clients', record: dora }]);
    server.offset = 10;
    const { replica, clients } = replicaFor(server);
    await replica.start();
    await vi.waitFor(() => expect(clients).toHaveLength(1));
    const rt = clients[0] as FakeClient;
    rt.deliver(change({ ...dora, fullName: 'Dora v2', version: 2 }, 11));
    await settled(replica);
    expect(await names(replica)).toEqual(['Dora']);
    rt.deliver(change({ ...dora, fullName: 'Dora v4', version: 4 }, 12));
    await settled(replica);
    expect(await names(replica)).toEqual(['Dora v4']);
    rt.deliver(change({ ...dora, version: 5 }, 13, 'deleted'));
    await replica.putRecords('clients', [{ ...dora, fullName: 'Dora late', version: 4 }]);
    expect(await names(replica)).toEqual([]);
    expect(replica.status.offset).toBe(13);
  });

  it('warm start: answers from the device at once and resumes from the stored position', async () => {
    const userId = `user-${uuid()}`;
    const server = fakeServer([{ resource: 'clients', record: client(BRANCH_A, 'Eve') }]);
    server.offset = 7;
    const first = replicaFor(server, { userId });
    await first.replica.start();
    await vi.waitFor(() => expect(first.clients).toHaveLength(1));
    (first.clients[0] as FakeClient).deliver(change(client(BRANCH_A, 'Fay'), 9, 'created'));
    await settled(first.replica);
    await first.replica.stop();

    server.offline = true;
    const second = replicaFor(server, { userId });
    await second.replica.start();
    await second.replica.ready;
    expect(await names(second.replica)).toEqual(['Eve', 'Fay']);
    expect(second.clients[0]?.options).toMatchObject({ initialOffset: 9, initialEpoch: EPOCH_1 });
    expect(server.requests).toHaveLength(1);
  });

  it('re-snapshots on resync, replacing the rows, and applies only later held events', async () => {
    const gone = client(BRANCH_A, 'Gone');
    const server = fakeServer([
      { resource: 'clients', record: gone },
      { resource: 'clients', record: client(BRANCH_A, 'Kept') },
    ]);
    server.offset = 5;
    const { replica, clients } = replicaFor(server);
    await replica.start();
    await vi.waitFor(() => expect(clients).toHaveLength(1));
    const rt = clients[0] as FakeClient;

    // The database was restored: a new epoch with other rows.
    server.epoch = EPOCH_2;
    server.offset = 20;
    const restored = client(BRANCH_A, 'Restored', 2);
    server.rows = [
      { resource: 'clients', record: restored },
      { resource: 'clients', record: client(BRANCH_A, 'Kept') },
    ];
    const changes: boolean[] = [];
    replica.subscribe('clients', (c) => changes.push(c.reset));
    rt.resync(EPOCH_2, 18);
    const snapshotDone = replica.resnapshot();
    rt.deliver(
      change({ ...restored, version: 1, fullName: 'Restored old' }, 19, 'updated', EPOCH_2),
    );
    rt.deliver(change(client(BRANCH_A, 'After'), 21, 'created', EPOCH_2));
    await snapshotDone;
    await settled(replica);
    expect(await names(replica)).toEqual(['After', 'Kept', 'Restored']);
    expect(replica.status).toMatchObject({ epoch: EPOCH_2, offset: 21 });
    expect(changes).toContain(true);
    expect(clients).toHaveLength(1);
  });

  it('purges rows of branches the token no longer has, at start and on a token change', async () => {
    const userId = `user-${uuid()}`;
    const server = fakeServer([
      { resource: 'clients', record: client(BRANCH_A, 'InA') },
      { resource: 'clients', record: client(BRANCH_B, 'InB') },
    ]);
    const first = replicaFor(server, { userId });
    await first.replica.start();
    await first.replica.ready;
    const removed: string[][] = [];
    first.replica.subscribe('clients', (c) => removed.push(c.ids));
    await first.replica.setScope({ role: 'manager', branches: [BRANCH_A] });
    expect(await names(first.replica)).toEqual(['InA']);
    expect(removed.flat()).toHaveLength(1);
    await first.replica.stop();

    // Restart with a token narrowed further (to no branch at all).
    const second = replicaFor(server, { userId, scope: { role: 'staff', branches: [] } });
    server.offline = true;
    await second.replica.start();
    expect(await names(second.replica)).toEqual([]);
    const raw = await new IndexedDbReplicaStore(`dynapharm-replica:${userId}`).rows('clients');
    expect(raw).toEqual([]);
  });

  it('takes a new snapshot when the scope widens', async () => {
    const server = fakeServer([{ resource: 'clients', record: client(BRANCH_A, 'InA') }]);
    const { replica } = replicaFor(server, { scope: { role: 'manager', branches: [BRANCH_A] } });
    await replica.start();
    await replica.ready;
    server.rows.push({ resource: 'clients', record: client(BRANCH_B, 'InB') });
    await replica.setScope(manager);
    expect(await names(replica)).toEqual(['InA', 'InB']);
  });

  it('destroy() deletes the database: the next user of the browser cannot read it', async () => {
    const userId = `user-${uuid()}`;
    const server = fakeServer([{ resource: 'clients', record: client(BRANCH_A, 'Secret') }]);
    const { replica } = replicaFor(server, { userId });
    await replica.start();
    await replica.ready;
    await replica.destroy();
    const dbs = await indexedDB.databases();
    expect(dbs.map((d) => d.name)).not.toContain(`dynapharm-replica:${userId}`);
  });

  it('deleteOtherReplicas removes every replica but the signed-in user’s', async () => {
    const server = fakeServer([{ resource: 'clients', record: client(BRANCH_A, 'X') }]);
    const a = replicaFor(server, { userId: 'user-a' });
    const b = replicaFor(server, { userId: 'user-b' });
    await a.replica.start();
    await b.replica.start();
    await Promise.all([a.replica.ready, b.replica.ready]);
    await a.replica.stop();
    expect(await deleteOtherReplicas('user-b')).toEqual(['dynapharm-replica:user-a']);
  });

  it('reports a full disk (QuotaExceededError) through onError and the status, and keeps the batch', async () => {
    const server = fakeServer([{ resource: 'clients', record: client(BRANCH_A, 'Hal') }]);
    const store = new IndexedDbReplicaStore(`dynapharm-replica:quota-${uuid()}`);
    let full = false;
    const realApply = store.apply.bind(store);
    store.apply = async (rows, meta) => {
      if (full && rows.length > 0)
        throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
      return realApply(rows, meta);
    };
    const errors: Error[] = [];
    const { replica, clients } = replicaFor(server, { store, onError: (e) => errors.push(e) });
    await replica.start();
    await vi.waitFor(() => expect(clients).toHaveLength(1));
    full = true;
    (clients[0] as FakeClient).deliver(change(client(BRANCH_A, 'Ida'), 3, 'created'));
    await vi.waitFor(() => expect(errors.length).toBeGreaterThan(0));
    expect(errors[0]?.name).toBe('QuotaExceededError');
    expect(replica.status.error).toMatchObject({ name: 'QuotaExceededError' });
    expect(replica.status.offset).toBe(0);
    full = false;
    await vi.waitFor(async () => expect(await names(replica)).toEqual(['Hal', 'Ida']), {
      timeout: 8_000,
    });
    expect(replica.status.error).toBeNull();
  }, 15_000);

  it('queries by the indexed field, sorts and pages', async () => {
    const order = (status: string, totalCents: number) => ({
      id: uuid(),
      branchId: BRANCH_A,
      clientId: uuid(),
      status,
      totalCents,
      notes: '',
      items: [],
      version: 1,
      createdAt: '2026-01-01T00:00:00.000Z',
      updatedAt: '2026-01-01T00:00:00.000Z',
      lastSyncedAt: null,
      deletedAt: null,
    });
    const server = fakeServer([
      { resource: 'orders', record: order('pending', 300) },
      { resource: 'orders', record: order('confirmed', 100) },
      { resource: 'orders', record: order('pending', 200) },
      { resource: 'orders', record: order('pending', 100) },
    ]);
    const { replica } = replicaFor(server, { resources: ['orders'] });
    await replica.start();
    await replica.ready;
    const page = await replica.query<{ totalCents: number }>('orders', {
      branchId: BRANCH_A,
      where: { status: 'pending' },
      sort: { by: 'totalCents', dir: 'asc' },
      offset: 1,
      limit: 1,
    });
    expect(page.total).toBe(3);
    expect(page.items.map((o) => o.totalCents)).toEqual([200]);
  });

  it('pages a branch by createdAt through the index exactly like the in-memory sort, tombstones left out', async () => {
    const at = (n: number) => `2026-01-0${1 + (n % 5)}T00:00:00.000Z`;
    const rows = Array.from({ length: 23 }, (_, n) => ({
      resource: 'clients' as const,
      // Every fifth day repeats, so ties are broken by id as in memory.
      record: { ...client(n % 4 === 0 ? BRANCH_B : BRANCH_A, `c${n}`), createdAt: at(n) },
    }));
    const server = fakeServer(rows);
    const { replica } = replicaFor(server);
    await replica.start();
    await replica.ready;
    const gone = rows.find((r) => r.record.branchId === BRANCH_A)?.record;
    await replica.putRecords('clients', [
      { ...gone, version: 2, deletedAt: '2026-02-01T00:00:00.000Z' },
    ]);
    const store = replica.store;
    const spy = vi.spyOn(store, 'page');
    for (const dir of ['desc', 'asc'] as const) {
      for (const [offset, limit] of [
        [0, 5],
        [5, 5],
        [15, 10],
        [40, 5],
      ] as const) {
        const query = { branchId: BRANCH_A, sort: { by: 'createdAt', dir }, offset, limit };
        const indexed = await replica.query<{ id: string }>('clients', query);
        // A filter that keeps everything forces the in-memory path.
        const inMemory = await replica.query<{ id: string }>('clients', {
          ...query,
          filter: () => true,
        });
        expect(indexed.total).toBe(inMemory.total);
        expect(indexed.items.map((c) => c.id)).toEqual(inMemory.items.map((c) => c.id));
      }
    }
    expect(spy).toHaveBeenCalledTimes(8);
    expect((await replica.query('clients', { branchId: BRANCH_A, filter: () => true })).total).toBe(
      16,
    );
  });

  it('a device replica of the first schema gets the createdAt index with its rows kept', async () => {
    const userId = `user-${uuid()}`;
    const name = `dynapharm-replica:${userId}`;
    const old = client(BRANCH_A, 'Stored by version 1');
    await new Promise<void>((resolve, reject) => {
      const open = indexedDB.open(name, 1);
      open.onupgradeneeded = () => {
        const db = open.result;
        const rows = db.createObjectStore('rows', { keyPath: 'key' });
        rows.createIndex('branch', ['resource', 'branchId']);
        rows.createIndex('field', ['resource', 'field']);
        rows.createIndex('branchField', ['resource', 'branchId', 'field']);
        db.createObjectStore('meta');
        rows.put({
          key: `clients:${old.id}`,
          resource: 'clients',
          id: old.id,
          branchId: BRANCH_A,
          version: 1,
          deleted: 0,
          field: '',
          record: old,
        });
      };
      open.onerror = () => reject(open.error);
      open.onsuccess = () => {
        open.result.close();
        resolve();
      };
    });
    const store = new IndexedDbReplicaStore(name);
    const { rows, total } = await store.page('clients', BRANCH_A, 'desc', 0, 10);
    expect(total).toBe(1);
    expect(rows.map((r) => [r.id, r.createdAt])).toEqual([[old.id, old.createdAt]]);
    await store.destroy();
  });
});
