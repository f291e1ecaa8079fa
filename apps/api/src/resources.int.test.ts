import { randomUUID } from 'node:crypto';
import { can, type ResourceName } from '@dynapharm/types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from './testing/harness.ts';

let t: TestApi;
let admin: string;
let staffA: string;
let managerA: string;
let branchA: string;
let branchB: string;

beforeAll(async () => {
  t = await startTestApi();
  [branchA, branchB] = t.branches.map((b) => b.id) as [string, string];
  admin = await t.token('admin');
  staffA = await t.token('staff', [branchA], 'staff-a');
  managerA = await t.token('manager', [branchA], 'manager-a');
});
afterAll(async () => {
  await t?.close();
});

async function json<T>(res: Response): Promise<T> {
  return (await res.json()) as T;
}

async function logRows() {
  const { rows } = await t.api.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM sync_log');
  return rows[0]?.n ?? 0;
}

async function first(resource: string, query = '') {
  const res = await t.request(`/api/${resource}?limit=1${query}`, { token: admin });
  const { items } = await json<{ items: { id: string }[] }>(res);
  if (!items[0]) throw new Error(`no ${resource}`);
  return items[0].id;
}

/** A valid create body and a patch for each resource (made fresh, so unique keys never clash). */
async function fixtures(resource: ResourceName, branchId: string) {
  const tag = randomUUID().slice(0, 6).toUpperCase();
  switch (resource) {
    case 'branches':
      return {
        create: { code: `T-${tag}`, name: `Test ${tag}`, city: 'Jinja' },
        patch: { phone: '+256 1' },
      };
    case 'clients':
      return { create: { branchId, fullName: `Client ${tag}` }, patch: { notes: 'called back' } };
    case 'products':
      return {
        create: {
          sku: `SKU-${tag}`,
          name: `Product ${tag}`,
          category: 'Analgesics',
          unitPriceCents: 1250,
        },
        patch: { unitPriceCents: 1300 },
      };
    case 'stock': {
      const product = await t.request('/api/products', {
        method: 'POST',
        token: admin,
        json: {
          sku: `STK-${tag}`,
          name: `Stocked ${tag}`,
          category: 'Vitamins',
          unitPriceCents: 500,
        },
      });
      const productId = (await json<{ id: string }>(product)).id;
      return { create: { branchId, productId, quantity: 40 }, patch: { quantity: 38 } };
    }
    case 'orders': {
      const clientId = await first('clients', `&branchId=${branchId}`);
      const productId = await first('stock', `&branchId=${branchId}`).then(async (stockId) => {
        const s = await json<{ productId: string }>(
          await t.request(`/api/stock/${stockId}`, { token: admin }),
        );
        return s.productId;
      });
      return {
        create: { branchId, clientId, items: [{ productId, quantity: 1 }] },
        patch: { notes: 'deliver after 5pm' },
      };
    }
    case 'reports': {
      const day = new Date(Date.UTC(2019, 0, 1) + Math.floor(Math.random() * 3000) * 86_400_000);
      return {
        create: {
          branchId,
          reportDate: day.toISOString().slice(0, 10),
          ordersCount: 3,
          totalSalesCents: 9000,
        },
        patch: { notes: 'audited' },
      };
    }
    case 'employees':
      return {
        create: {
          branchId,
          fullName: `Employee ${tag}`,
          email: `e.${tag.toLowerCase()}@dynapharm.test`,
          position: 'cashier',
        },
        patch: { phone: '+256 772 000000' },
      };
  }
}

const resources: ResourceName[] = [
  'branches',
  'clients',
  'products',
  'stock',
  'orders',
  'reports',
  'employees',
];

describe.each(resources)('%s over HTTP', (resource) => {
  it('creates, reads, lists, updates with a version and soft-deletes', async () => {
    const { create, patch } = await fixtures(resource, branchA);
    const created = await t.request(`/api/${resource}`, {
      method: 'POST',
      token: admin,
      json: create,
    });
    expect(created.status).toBe(201);
    const row = await json<{ id: string; version: number }>(created);
    expect(row.version).toBe(1);

    const got = await t.request(`/api/${resource}/${row.id}`, { token: admin });
    expect(await json(got)).toEqual(row);

    const since = new Date(Date.now() - 60_000).toISOString();
    const listed = await json<{ items: { id: string }[] }>(
      await t.request(`/api/${resource}?updated_since=${encodeURIComponent(since)}&limit=500`, {
        token: admin,
      }),
    );
    expect(listed.items.map((i) => i.id)).toContain(row.id);

    const updated = await t.request(`/api/${resource}/${row.id}`, {
      method: 'PATCH',
      token: admin,
      headers: { 'if-match': '"1"' },
      json: patch,
    });
    expect(updated.status).toBe(200);
    expect(await json(updated)).toMatchObject({ ...patch, version: 2 });

    const removed = await t.request(`/api/${resource}/${row.id}`, {
      method: 'DELETE',
      token: admin,
    });
    expect(removed.status).toBe(200);
    expect(await json(removed)).toMatchObject({ version: 3 });
    expect((await t.request(`/api/${resource}/${row.id}`, { token: admin })).status).toBe(404);
  });

  it('keeps a staff user of branch A away from branch B rows', async () => {
    const { create, patch } = await fixtures(resource, branchB);
    const made = await t.request(`/api/${resource}`, {
      method: 'POST',
      token: admin,
      json: create,
    });
    const row = await json<{ id: string; branchId: string | null }>(made);
    const otherBranchBody = (await fixtures(resource, branchB)).create;
    const before = await logRows();

    const read = await t.request(`/api/${resource}/${row.id}`, { token: staffA });
    const write = await t.request(`/api/${resource}/${row.id}`, {
      method: 'PATCH',
      token: staffA,
      json: { ...patch, version: 1 },
    });
    const create2 = await t.request(`/api/${resource}`, {
      method: 'POST',
      token: staffA,
      json: otherBranchBody,
    });
    if (resource === 'products') {
      // The catalogue is shared: everyone reads it, only admins change it.
      expect(read.status).toBe(200);
      expect(write.status).toBe(403);
    } else {
      expect(read.status).toBe(404);
      // A role without the right is refused before the row is looked up.
      expect(write.status).toBe(can('staff', resource, 'update') ? 404 : 403);
    }
    expect(create2.status).toBe(403);
    const list = await json<{ items: { branchId: string | null }[] }>(
      await t.request(`/api/${resource}?limit=500`, { token: staffA }),
    );
    expect(list.items.every((i) => i.branchId === null || i.branchId === branchA)).toBe(true);
    expect(await logRows()).toBe(before);
  });
});

describe('concurrency and repeats', () => {
  it('lets exactly one of 20 concurrent PATCHes with the same version win', async () => {
    const id = await first('clients', `&branchId=${branchA}`);
    const current = await json<{ version: number }>(
      await t.request(`/api/clients/${id}`, { token: admin }),
    );
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        t.request(`/api/clients/${id}`, {
          method: 'PATCH',
          token: admin,
          json: { version: current.version, notes: `writer ${i}` },
        }),
      ),
    );
    const statuses = results.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(19);
    const after = await json<{ version: number }>(
      await t.request(`/api/clients/${id}`, { token: admin }),
    );
    expect(after.version).toBe(current.version + 1);
  });

  it('answers an idempotent create replayed 5 times with one row and the same response', async () => {
    const key = randomUUID();
    const body = { id: randomUUID(), branchId: branchA, fullName: 'Replayed Five Times' };
    const answers = [];
    for (let i = 0; i < 5; i++) {
      const res = await t.request('/api/clients', {
        method: 'POST',
        token: staffA,
        headers: { 'idempotency-key': key },
        json: body,
      });
      answers.push({ status: res.status, body: await res.json() });
    }
    for (const a of answers) expect(a).toEqual(answers[0]);
    expect(answers[0]?.status).toBe(201);
    const { rows } = await t.api.pool.query(
      'SELECT count(*)::int AS n FROM clients WHERE id = $1',
      [body.id],
    );
    expect(rows[0]).toEqual({ n: 1 });
  });

  it('changes nothing when input is bad', async () => {
    const before = await logRows();
    const id = await first('clients', `&branchId=${branchA}`);
    const bad: [string, RequestInit & { token?: string; json?: unknown }][] = [
      [
        '/api/clients',
        { method: 'POST', token: staffA, json: { branchId: branchA, fullName: '', email: 'x' } },
      ],
      [
        `/api/clients/${id}`,
        { method: 'PATCH', token: staffA, json: { version: 1, unknownField: true } },
      ],
      [
        `/api/clients/${id}`,
        { method: 'PATCH', token: staffA, headers: { 'if-match': 'abc' }, json: { notes: 'x' } },
      ],
      [
        '/api/orders',
        { method: 'POST', token: staffA, json: { branchId: branchA, clientId: id, items: [] } },
      ],
      [
        '/api/stock',
        {
          method: 'POST',
          token: managerA,
          json: { branchId: branchA, productId: randomUUID(), quantity: -1 },
        },
      ],
      [
        '/api/reports',
        { method: 'POST', token: managerA, json: { branchId: branchA, reportDate: '2024-02-30' } },
      ],
    ];
    for (const [path, init] of bad) {
      const res = await t.request(path, init);
      expect({ path, status: res.status }).toEqual({ path, status: 400 });
    }
    expect(await logRows()).toBe(before);
  });
});
