import { randomUUID } from 'node:crypto';
import {
  type Action,
  can,
  type ResourceName,
  type Role,
  resourceActions,
  resourceNames,
  roles,
} from '@dynapharm/types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from './testing/harness.ts';

/**
 * The authorization matrix over real HTTP: one test per role × resource ×
 * action, generated from the matrix of `@dynapharm/types`, so a cell added
 * there is tested here without anyone writing it down. An allowed cell must
 * succeed (2xx, or a business 4xx that is neither 401 nor 403); a denied one
 * must answer 403 and leave the database as it was.
 */

let t: TestApi;
let admin: string;
let branchA: string;
/** Report dates count up from here, so two fresh reports never share a day. */
let reportDay = Date.UTC(2001, 0, 1);

beforeAll(async () => {
  t = await startTestApi();
  [branchA] = t.branches.map((b) => b.id) as [string];
  admin = await t.token('admin');
});
afterAll(async () => {
  await t?.close();
});

interface Row {
  id: string;
  version: number;
  branchId: string | null;
  deletedAt: string | null;
  status?: string;
}

async function json<T>(res: Response): Promise<T> {
  return (await res.json()) as T;
}

async function admitted<T>(res: Response, what: string): Promise<T> {
  if (res.status >= 300) throw new Error(`${what} answered ${res.status}: ${await res.text()}`);
  return json<T>(res);
}

async function first<T>(resource: ResourceName, query: string): Promise<T> {
  const res = await t.request(`/api/${resource}?limit=1&${query}`, { token: admin });
  const row = (await admitted<{ items: T[] }>(res, `list ${resource}`)).items[0];
  if (!row) throw new Error(`no ${resource} for ${query}`);
  return row;
}

/** A valid create body for `resource` in branch A, with a fresh id and fresh unique values. */
async function createBody(resource: ResourceName): Promise<Record<string, unknown>> {
  const id = randomUUID();
  const tag = id.slice(0, 8).toUpperCase();
  switch (resource) {
    case 'branches':
      return { id, code: `Z-${tag}`, name: `Matrix ${tag}`, city: 'Gulu' };
    case 'clients':
      return { id, branchId: branchA, fullName: `Matrix Client ${tag}` };
    case 'products':
      return {
        id,
        sku: `MX-${tag}`,
        name: `Matrix ${tag}`,
        category: 'Tests',
        unitPriceCents: 100,
      };
    case 'stock': {
      // Stock is unique per branch and product: a product of its own.
      const product = await t.request('/api/products', {
        method: 'POST',
        token: admin,
        json: await createBody('products'),
      });
      const { id: productId } = await admitted<Row>(product, 'create product');
      return { id, branchId: branchA, productId, quantity: 10 };
    }
    case 'orders': {
      const client = await first<Row>('clients', `branchId=${branchA}`);
      const stock = await first<{ productId: string }>('stock', `branchId=${branchA}`);
      return {
        id,
        branchId: branchA,
        clientId: client.id,
        items: [{ productId: stock.productId, quantity: 1 }],
      };
    }
    case 'reports':
      reportDay += 86_400_000;
      return {
        id,
        branchId: branchA,
        reportDate: new Date(reportDay).toISOString().slice(0, 10),
        ordersCount: 1,
        totalSalesCents: 100,
      };
    case 'employees':
      return {
        id,
        branchId: branchA,
        fullName: `Matrix Employee ${tag}`,
        email: `m.${tag.toLowerCase()}@dynapharm.test`,
        position: 'cashier',
      };
  }
}

const patches: Record<ResourceName, Record<string, unknown>> = {
  branches: { phone: '+256 700 000001' },
  clients: { notes: 'matrix' },
  products: { unitPriceCents: 101 },
  stock: { quantity: 9 },
  orders: { notes: 'matrix' },
  reports: { notes: 'matrix' },
  employees: { phone: '+256 700 000002' },
};

/** A fresh row, made by an admin, in branch A (or itself a branch, or global). */
async function freshRow(resource: ResourceName): Promise<Row> {
  const res = await t.request(`/api/${resource}`, {
    method: 'POST',
    token: admin,
    json: await createBody(resource),
  });
  return admitted<Row>(res, `create ${resource}`);
}

async function current(resource: ResourceName, id: string): Promise<Row | undefined> {
  const res = await t.request(`/api/${resource}/${id}`, { token: admin });
  if (res.status === 404) return undefined;
  return admitted<Row>(res, `get ${resource}`);
}

async function syncLogRows(): Promise<number> {
  const { rows } = await t.api.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM sync_log');
  return rows[0]?.n ?? 0;
}

type Cell = { role: Role; resource: ResourceName; action: Action; allowed: boolean };

const cells: Cell[] = roles.flatMap((role) =>
  resourceNames.flatMap((resource) =>
    resourceActions[resource].map((action) => ({
      role,
      resource,
      action,
      allowed: can(role, resource, action),
    })),
  ),
);

/**
 * Sets up a cell (a fresh row, made by an admin) and returns the request that
 * performs `action` as the cell's role, plus a check that nothing changed.
 */
async function prepare(
  token: (branches: string[]) => Promise<string>,
  resource: ResourceName,
  action: Action,
): Promise<{ send: () => Promise<Response[]>; unchanged: () => Promise<void> }> {
  if (action === 'create') {
    const body = await createBody(resource);
    const caller = await token([branchA]);
    return {
      send: async () => [
        await t.request(`/api/${resource}`, { method: 'POST', token: caller, json: body }),
      ],
      unchanged: async () => expect(await current(resource, body.id as string)).toBeUndefined(),
    };
  }
  const row = await freshRow(resource);
  // A branch user acts on rows of their own branches: the new branch is theirs too.
  const caller = await token(resource === 'branches' ? [branchA, row.id] : [branchA]);
  const unchanged = async () => expect(await current(resource, row.id)).toEqual(row);
  const path = `/api/${resource}/${row.id}`;
  const patch = (json: Record<string, unknown>) => async () => [
    await t.request(path, { method: 'PATCH', token: caller, json }),
  ];
  switch (action) {
    case 'read': {
      const scope = row.branchId ? `branchId=${row.branchId}` : 'limit=5';
      const send = async () => [
        await t.request(path, { token: caller }),
        await t.request(`/api/${resource}?${scope}`, { token: caller }),
        await t.request(`/api/changes?resources=${resource}`, { token: caller }),
        await t.request(`/api/snapshot?resources=${resource}&limit=1`, { token: caller }),
      ];
      return { send, unchanged };
    }
    case 'update':
      return { send: patch({ ...patches[resource], version: row.version }), unchanged };
    case 'cancel':
      return { send: patch({ status: 'cancelled', version: row.version }), unchanged };
    case 'delete': {
      const send = async () => [
        await t.request(`${path}?version=${row.version}`, { method: 'DELETE', token: caller }),
      ];
      return { send, unchanged };
    }
  }
}

describe('authorization matrix: role × resource × action over HTTP', () => {
  it('covers every cell of the matrix', () => {
    const expected =
      roles.length * resourceNames.reduce((n, r) => n + resourceActions[r].length, 0);
    expect(cells).toHaveLength(expected);
    expect(new Set(cells.map((c) => `${c.role}/${c.resource}/${c.action}`)).size).toBe(expected);
    // Both outcomes occur, so neither branch of the assertions below is dead.
    expect(cells.some((c) => c.allowed)).toBe(true);
    expect(cells.some((c) => !c.allowed)).toBe(true);
  });

  it.each(cells)('$role × $resource × $action (allowed: $allowed)', async (cell) => {
    const { role, resource, action, allowed } = cell;
    const token = (branches: string[]) => t.token(role, branches, `${role}-matrix`);
    const { send, unchanged } = await prepare(token, resource, action);
    const before = await syncLogRows();
    const answers = await send();
    for (const res of answers) {
      const body = await json<{ error?: { code: string; message: string } }>(res);
      if (allowed) {
        expect(res.status, JSON.stringify(body)).not.toBe(401);
        expect(res.status, JSON.stringify(body)).not.toBe(403);
        expect(res.status, JSON.stringify(body)).toBeLessThan(300);
      } else {
        expect({ status: res.status, code: body.error?.code }).toEqual({
          status: 403,
          code: 'forbidden',
        });
        expect(body.error?.message).toBe(`role ${role} may not ${action} ${resource}`);
      }
    }
    if (!allowed) {
      await unchanged();
      expect(await syncLogRows()).toBe(before);
    } else if (action !== 'read') {
      // An order's writes also move stock, which logs changes of its own.
      expect(await syncLogRows()).toBeGreaterThan(before);
    }
  });
});

describe('refusals come before anything else', () => {
  it('answers 403 for a denied action even on a row of another branch or with a bad body', async () => {
    const staff = await t.token('staff', [branchA], 'staff-matrix');
    const other = t.branches[1]?.id ?? '';
    const stock = await first<Row>('stock', `branchId=${other}`);
    const answers = [
      await t.request(`/api/stock/${stock.id}`, {
        method: 'PATCH',
        token: staff,
        json: { version: stock.version, quantity: -5 },
      }),
      await t.request(`/api/stock/${randomUUID()}`, { method: 'DELETE', token: staff }),
      await t.request('/api/employees', { method: 'POST', token: staff, json: { nonsense: 1 } }),
      await t.request(`/api/branches/${branchA}`, {
        method: 'PATCH',
        token: staff,
        headers: { 'idempotency-key': randomUUID() },
        json: { name: 'Renamed by staff', version: 1 },
      }),
    ];
    expect(answers.map((r) => r.status)).toEqual([403, 403, 403, 403]);
    expect(await current('stock', stock.id)).toEqual(stock);
  });

  it('lets staff confirm an order but not cancel it', async () => {
    const staff = await t.token('staff', [branchA], 'staff-matrix');
    const order = await freshRow('orders');
    const cancel = await t.request(`/api/orders/${order.id}`, {
      method: 'PATCH',
      token: staff,
      json: { status: 'cancelled', notes: 'x', version: order.version },
    });
    expect(cancel.status).toBe(403);
    expect(await current('orders', order.id)).toEqual(order);
    const confirm = await t.request(`/api/orders/${order.id}`, {
      method: 'PATCH',
      token: staff,
      json: { status: 'confirmed', version: order.version },
    });
    expect(confirm.status).toBe(200);
    expect(await json<Row>(confirm)).toMatchObject({ status: 'confirmed' });
  });
});
