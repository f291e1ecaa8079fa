import { randomUUID } from 'node:crypto';
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
  const [a, b] = t.branches;
  if (!a || !b) throw new Error('seed created no branches');
  branchA = a.id;
  branchB = b.id;
  admin = await t.token('admin');
  staffA = await t.token('staff', [branchA], 'staff-a');
  managerA = await t.token('manager', [branchA], 'manager-a');
});
afterAll(async () => {
  await t?.close();
});

async function syncLogCount(recordId: string) {
  const { rows } = await t.api.pool.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM sync_log WHERE record_id = $1',
    [recordId],
  );
  return rows[0]?.n ?? 0;
}

describe('clients', () => {
  it('creates with a client-supplied id; a repeat is not a duplicate', async () => {
    const id = randomUUID();
    const body = { id, branchId: branchA, fullName: 'Grace Nakato', phone: '+256 700 111222' };
    const first = await t.request('/api/clients', { method: 'POST', token: staffA, json: body });
    expect(first.status).toBe(201);
    const created = await first.json();
    expect(created).toMatchObject({ id, branchId: branchA, fullName: 'Grace Nakato', version: 1 });
    expect(first.headers.get('etag')).toBe('"1"');

    const again = await t.request('/api/clients', { method: 'POST', token: staffA, json: body });
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual(created);
    expect(await syncLogCount(id)).toBe(1);
  });

  it('keeps staff inside their branch for reads and writes', async () => {
    const other = await t.request('/api/clients', {
      method: 'POST',
      token: staffA,
      json: { branchId: branchB, fullName: 'Wrong Branch' },
    });
    expect(other.status).toBe(403);

    const list = await t.request('/api/clients?limit=500', { token: staffA });
    const { items } = (await list.json()) as { items: { branchId: string }[] };
    expect(items.length).toBeGreaterThan(0);
    expect(items.every((c) => c.branchId === branchA)).toBe(true);

    const all = await t.request(`/api/clients?branchId=${branchB}`, { token: admin });
    const bItems = ((await all.json()) as { items: { id: string }[] }).items;
    expect(bItems.length).toBeGreaterThan(0);
    const hidden = await t.request(`/api/clients/${bItems[0]?.id}`, { token: staffA });
    expect(hidden.status).toBe(404);
  });

  it('updates with an expected version and answers a stale one with 409 and the current row', async () => {
    const create = await t.request('/api/clients', {
      method: 'POST',
      token: staffA,
      json: { branchId: branchA, fullName: 'Peter Okot' },
    });
    const client = (await create.json()) as { id: string; version: number };

    const ok = await t.request(`/api/clients/${client.id}`, {
      method: 'PATCH',
      token: staffA,
      headers: { 'if-match': '"1"' },
      json: { notes: 'prefers SMS' },
    });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ version: 2, notes: 'prefers SMS' });

    const stale = await t.request(`/api/clients/${client.id}`, {
      method: 'PATCH',
      token: staffA,
      json: { version: 1, notes: 'overwrite?' },
    });
    expect(stale.status).toBe(409);
    const conflict = (await stale.json()) as {
      error: { code: string; details: { current: unknown } };
    };
    expect(conflict.error.code).toBe('version_conflict');
    expect(conflict.error.details.current).toMatchObject({ version: 2, notes: 'prefers SMS' });

    const missing = await t.request(`/api/clients/${client.id}`, {
      method: 'PATCH',
      token: staffA,
      json: { notes: 'no version' },
    });
    expect(missing.status).toBe(428);

    // Staff may not delete clients (the permission matrix); their manager may.
    const refused = await t.request(`/api/clients/${client.id}`, {
      method: 'DELETE',
      token: staffA,
      headers: { 'if-match': '2' },
    });
    expect(refused.status).toBe(403);
    const del = await t.request(`/api/clients/${client.id}`, {
      method: 'DELETE',
      token: managerA,
      headers: { 'if-match': '2' },
    });
    expect(del.status).toBe(200);
    expect(await del.json()).toMatchObject({ version: 3 });
    expect((await t.request(`/api/clients/${client.id}`, { token: staffA })).status).toBe(404);
    expect(await syncLogCount(client.id)).toBe(3);
  });
});

describe('idempotency', () => {
  it('replays the first answer without a second effect and refuses a different body', async () => {
    const key = `op-${randomUUID()}`;
    const body = { branchId: branchA, fullName: 'Idem Potent' };
    const first = await t.request('/api/clients', {
      method: 'POST',
      token: staffA,
      headers: { 'idempotency-key': key },
      json: body,
    });
    expect(first.status).toBe(201);
    const created = (await first.json()) as { id: string };

    const replay = await t.request('/api/clients', {
      method: 'POST',
      token: staffA,
      headers: { 'idempotency-key': key },
      json: body,
    });
    expect(replay.status).toBe(201);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(await replay.json()).toEqual(created);
    expect(await syncLogCount(created.id)).toBe(1);
    const { rows } = await t.api.pool.query(
      'SELECT origin, actor FROM sync_log WHERE record_id = $1',
      [created.id],
    );
    expect(rows[0]).toEqual({ origin: key, actor: 'staff-a' });

    const mismatch = await t.request('/api/clients', {
      method: 'POST',
      token: staffA,
      headers: { 'idempotency-key': key },
      json: { ...body, fullName: 'Someone Else' },
    });
    expect(mismatch.status).toBe(422);
    expect(((await mismatch.json()) as { error: { code: string } }).error.code).toBe(
      'idempotency_mismatch',
    );
  });
});

describe('orders and stock', () => {
  async function stockOf(productId: string) {
    const res = await t.request(`/api/stock?branchId=${branchA}&limit=500`, { token: admin });
    const { items } = (await res.json()) as {
      items: {
        productId: string;
        quantity: number;
        reserved: number;
        id: string;
        version: number;
      }[];
    };
    const row = items.find((s) => s.productId === productId);
    if (!row) throw new Error('no stock row');
    return row;
  }

  it('reserves stock, refuses overselling with 409, and moves through statuses', async () => {
    const clients = await t.request(`/api/clients?branchId=${branchA}`, { token: staffA });
    const clientId = ((await clients.json()) as { items: { id: string }[] }).items[0]?.id;
    const products = await t.request('/api/products?limit=5', { token: staffA });
    const productId = ((await products.json()) as { items: { id: string }[] }).items[0]?.id;
    if (!clientId || !productId) throw new Error('seed missing');

    const before = await stockOf(productId);
    const available = before.quantity - before.reserved;

    const oversell = await t.request('/api/orders', {
      method: 'POST',
      token: staffA,
      json: { branchId: branchA, clientId, items: [{ productId, quantity: available + 1 }] },
    });
    expect(oversell.status).toBe(409);
    expect(((await oversell.json()) as { error: { code: string } }).error.code).toBe(
      'insufficient_stock',
    );
    expect(await stockOf(productId)).toMatchObject({ reserved: before.reserved });

    const create = await t.request('/api/orders', {
      method: 'POST',
      token: staffA,
      json: { branchId: branchA, clientId, items: [{ productId, quantity: 1 }] },
    });
    expect(create.status).toBe(201);
    const order = (await create.json()) as { id: string; status: string; items: unknown[] };
    expect(order).toMatchObject({ status: 'pending' });
    expect(order.items).toHaveLength(1);
    expect(await stockOf(productId)).toMatchObject({ reserved: before.reserved + 1 });

    const fulfil = await t.request(`/api/orders/${order.id}`, {
      method: 'PATCH',
      token: staffA,
      json: { version: 1, status: 'fulfilled' },
    });
    expect(fulfil.status).toBe(409);
    expect(((await fulfil.json()) as { error: { code: string } }).error.code).toBe(
      'invalid_transition',
    );

    const confirm = await t.request(`/api/orders/${order.id}`, {
      method: 'PATCH',
      token: staffA,
      json: { version: 1, status: 'confirmed' },
    });
    expect(confirm.status).toBe(200);
    const done = await t.request(`/api/orders/${order.id}`, {
      method: 'PATCH',
      token: staffA,
      json: { version: 2, status: 'fulfilled' },
    });
    expect(done.status).toBe(200);
    expect(await stockOf(productId)).toMatchObject({
      quantity: before.quantity - 1,
      reserved: before.reserved,
    });
  });
});

describe('bad input', () => {
  it('answers client mistakes with clear 4xx JSON, never a 500', async () => {
    const cases: [string, RequestInit & { token?: string; json?: unknown }, number, string][] = [
      [
        '/api/clients',
        {
          method: 'POST',
          token: staffA,
          headers: { 'content-type': 'application/json' },
          body: '{"fullName":',
        },
        400,
        'malformed_json',
      ],
      [
        '/api/clients',
        { method: 'POST', token: staffA, headers: { 'content-type': 'text/plain' }, body: 'hello' },
        415,
        'unsupported_media_type',
      ],
      [
        '/api/clients',
        {
          method: 'POST',
          token: staffA,
          json: { branchId: branchA, fullName: 'x'.repeat(2_000_000) },
        },
        413,
        'payload_too_large',
      ],
      [
        '/api/clients',
        { method: 'POST', token: staffA, json: { branchId: 'nope', email: 3 } },
        400,
        'validation_failed',
      ],
      ['/api/clients', { method: 'POST', token: staffA, json: [1, 2] }, 400, 'validation_failed'],
      ['/api/clients?limit=9999', { token: staffA }, 400, 'validation_failed'],
      ['/api/clients?cursor=garbage', { token: staffA }, 400, 'bad_request'],
      ['/api/clients/not-a-uuid', { token: staffA }, 400, 'validation_failed'],
      ['/api/clients', {}, 401, 'unauthorized'],
      ['/api/clients', { token: 'not.a.jwt' }, 401, 'unauthorized'],
      ['/api/nothing-here', { token: staffA }, 404, 'not_found'],
      ['/api/changes?after=-1', { token: staffA }, 400, 'validation_failed'],
    ];
    for (const [path, init, status, code] of cases) {
      const res = await t.request(path, init);
      const body = (await res.json()) as { error: { code: string; message: string } };
      expect({ path, status: res.status, code: body.error.code }).toEqual({ path, status, code });
    }
    const invalid = await t.request('/api/clients', {
      method: 'POST',
      token: staffA,
      json: { branchId: 'nope', email: 3 },
    });
    const details = (
      (await invalid.json()) as { error: { details: { issues: { path: string }[] } } }
    ).error.details.issues.map((i) => i.path);
    expect(details).toEqual(expect.arrayContaining(['branchId', 'fullName', 'email']));
  });

  it('serves health, readiness, metrics and the OpenAPI document', async () => {
    expect((await t.request('/health')).status).toBe(200);
    const ready = await t.request('/ready');
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ database: 'ok', redis: 'ok' });
    expect(await (await t.request('/metrics')).text()).toContain(
      'dynapharm_api_http_request_duration_seconds',
    );
    const doc = (await (await t.request('/api/openapi.json')).json()) as {
      paths: Record<string, unknown>;
    };
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/api/clients', '/api/orders/{id}', '/api/changes']),
    );
  });
});

describe('dev login', () => {
  it('lists demo users and mints a working token', async () => {
    const users = (await (await t.request('/api/auth/dev-users')).json()) as {
      users: { id: string }[];
    };
    expect(users.users.length).toBeGreaterThan(5);
    const login = await t.request('/api/auth/dev-login', {
      method: 'POST',
      json: { userId: users.users[0]?.id },
    });
    const { token } = (await login.json()) as { token: string };
    expect((await t.request('/api/auth/me', { token })).status).toBe(200);
    const unknown = await t.request('/api/auth/dev-login', {
      method: 'POST',
      json: { userId: 'ghost' },
    });
    expect(unknown.status).toBe(404);
  });
});
