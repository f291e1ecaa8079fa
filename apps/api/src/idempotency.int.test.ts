import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from './testing/harness.ts';

let t: TestApi;
let managerA: string;
let branchA: string;

beforeAll(async () => {
  // No relay: its polling would add queries to the round-trip counts.
  t = await startTestApi({ relay: false });
  branchA = t.branches[0]?.id ?? '';
  managerA = await t.token('manager', [branchA], 'manager-idem');
});
afterAll(async () => {
  await t?.close();
});

type Init = RequestInit & { token?: string; json?: unknown };

async function call(path: string, init: Init) {
  const res = await t.request(path, { token: managerA, ...init });
  return {
    status: res.status,
    etag: res.headers.get('etag'),
    replayed: res.headers.get('idempotent-replayed'),
    body: (await res.json()) as Record<string, unknown> & { id: string; version: number },
  };
}

async function newClient(fullName = `Client ${randomUUID().slice(0, 8)}`) {
  const created = await call('/api/clients', {
    method: 'POST',
    json: { branchId: branchA, fullName },
  });
  expect(created.status).toBe(201);
  return created.body;
}

async function scalar(text: string, values: unknown[]) {
  const { rows } = await t.api.pool.query<{ n: number }>(text, values);
  return rows[0]?.n ?? 0;
}

/** Holds row locks in a transaction of its own until `release`. */
async function lockHolder(lockSql: string, values: unknown[]) {
  const client = new pg.Client({ connectionString: t.database.url });
  await client.connect();
  await client.query('BEGIN');
  await client.query(lockSql, values);
  return {
    /** Resolves once `n` backends of this database wait for a lock. */
    async waiters(n: number) {
      for (let i = 0; i < 200; i++) {
        // pg_stat_activity is a snapshot per transaction: this one is long-lived.
        await client.query('SELECT pg_stat_clear_snapshot()');
        const { rows } = await client.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM pg_stat_activity
            WHERE datname = current_database() AND state = 'active' AND wait_event_type = 'Lock'`,
        );
        if ((rows[0]?.n ?? 0) >= n) return;
        await new Promise((r) => setTimeout(r, 25));
      }
      throw new Error(`fewer than ${n} requests ever waited for the lock`);
    },
    async release() {
      await client.query('COMMIT');
      await client.end();
    },
  };
}

describe('a slow first request and its retry with the same key', () => {
  it('PATCH: one version bump, one change row, the same answer twice, no long wait', async () => {
    const client = await newClient();
    const key = `slow-patch-${randomUUID()}`;
    const patch = (): Init => ({
      method: 'PATCH',
      headers: { 'idempotency-key': key, 'if-match': '"1"' },
      json: { notes: 'slow and retried' },
    });
    const started = Date.now();
    const lock = await lockHolder('SELECT 1 FROM clients WHERE id = $1 FOR UPDATE', [client.id]);
    const first = call(`/api/clients/${client.id}`, patch());
    await lock.waiters(1);
    const retry = call(`/api/clients/${client.id}`, patch());
    await lock.waiters(2);
    await new Promise((r) => setTimeout(r, 1000 - (Date.now() - started)));
    await lock.release();
    const [a, b] = await Promise.all([first, retry]);

    expect(Date.now() - started).toBeLessThan(8000);
    expect(a).toMatchObject({ status: 200, etag: '"2"', replayed: null });
    expect(b).toMatchObject({ status: 200, etag: '"2"', replayed: 'true' });
    expect(b.body).toEqual(a.body);
    expect(a.body).toMatchObject({ version: 2, notes: 'slow and retried' });
    expect(await scalar('SELECT version AS n FROM clients WHERE id = $1', [client.id])).toBe(2);
    expect(
      await scalar('SELECT count(*)::int AS n FROM sync_log WHERE record_id = $1', [client.id]),
    ).toBe(2);
  });

  it('POST without an id: one row, one change row, the same answer twice', async () => {
    const key = `slow-post-${randomUUID()}`;
    const fullName = `Slow ${randomUUID().slice(0, 8)}`;
    const post = (): Init => ({
      method: 'POST',
      headers: { 'idempotency-key': key },
      json: { branchId: branchA, fullName },
    });
    const started = Date.now();
    // The insert's foreign-key check needs a KEY SHARE lock on the branch row.
    const lock = await lockHolder('SELECT 1 FROM branches WHERE id = $1 FOR UPDATE', [branchA]);
    const first = call('/api/clients', post());
    await lock.waiters(1);
    const retry = call('/api/clients', post());
    await lock.waiters(2);
    await new Promise((r) => setTimeout(r, 1000 - (Date.now() - started)));
    await lock.release();
    const [a, b] = await Promise.all([first, retry]);

    expect(Date.now() - started).toBeLessThan(8000);
    expect(a).toMatchObject({ status: 201, etag: '"1"', replayed: null });
    expect(b).toMatchObject({ status: 201, etag: '"1"', replayed: 'true' });
    expect(b.body).toEqual(a.body);
    expect(
      await scalar('SELECT count(*)::int AS n FROM clients WHERE full_name = $1', [fullName]),
    ).toBe(1);
    expect(
      await scalar('SELECT count(*)::int AS n FROM sync_log WHERE record_id = $1', [a.body.id]),
    ).toBe(1);
  });
});

describe('replays', () => {
  it('repeat the first ETag, so the next If-Match works', async () => {
    const key = `etag-${randomUUID()}`;
    const body = { branchId: branchA, fullName: 'ETag Replay' };
    const init: Init = { method: 'POST', headers: { 'idempotency-key': key }, json: body };
    const first = await call('/api/clients', init);
    const replay = await call('/api/clients', init);
    expect(first).toMatchObject({ status: 201, etag: '"1"' });
    expect(replay).toMatchObject({ status: 201, etag: '"1"', replayed: 'true' });
    expect(replay.body).toEqual(first.body);

    const next = await call(`/api/clients/${replay.body.id}`, {
      method: 'PATCH',
      headers: { 'if-match': replay.etag ?? '' },
      json: { notes: 'after a replay' },
    });
    expect(next).toMatchObject({ status: 200, etag: '"2"' });
  });

  it('refuse a key reused for another request: body, query string, If-Match', async () => {
    const key = `reuse-${randomUUID()}`;
    const first = await call('/api/clients', {
      method: 'POST',
      headers: { 'idempotency-key': key },
      json: { branchId: branchA, fullName: 'First Use' },
    });
    expect(first.status).toBe(201);
    const otherBody = await call('/api/clients', {
      method: 'POST',
      headers: { 'idempotency-key': key },
      json: { branchId: branchA, fullName: 'Second Use' },
    });
    expect(otherBody.status).toBe(422);
    expect((otherBody.body as { error?: { code: string } }).error?.code).toBe(
      'idempotency_mismatch',
    );
    // Refused before any write (invalid input): still reported as a reused key.
    const invalid = await call('/api/clients', {
      method: 'POST',
      headers: { 'idempotency-key': key },
      json: { branchId: branchA, fullName: '' },
    });
    expect(invalid.status).toBe(422);

    const client = await newClient();
    const deleteKey = `delete-${randomUUID()}`;
    const removed = await call(`/api/clients/${client.id}?version=1`, {
      method: 'DELETE',
      headers: { 'idempotency-key': deleteKey },
    });
    expect(removed).toMatchObject({ status: 200, etag: '"2"' });
    const otherVersion = await call(`/api/clients/${client.id}?version=2`, {
      method: 'DELETE',
      headers: { 'idempotency-key': deleteKey },
    });
    expect(otherVersion.status).toBe(422);
    const sameDelete = await call(`/api/clients/${client.id}?version=1`, {
      method: 'DELETE',
      headers: { 'idempotency-key': deleteKey },
    });
    expect(sameDelete).toMatchObject({ status: 200, etag: '"2"', replayed: 'true' });

    const patched = await newClient();
    const patchKey = `if-match-${randomUUID()}`;
    const patch = (version: string): Init => ({
      method: 'PATCH',
      headers: { 'idempotency-key': patchKey, 'if-match': version },
      json: { notes: 'x' },
    });
    expect((await call(`/api/clients/${patched.id}`, patch('"1"'))).status).toBe(200);
    expect((await call(`/api/clients/${patched.id}`, patch('"2"'))).status).toBe(422);
  });

  it('store nothing for a failed write: the same key can be used again', async () => {
    const client = await newClient();
    const key = `failed-${randomUUID()}`;
    const stale = await call(`/api/clients/${client.id}`, {
      method: 'PATCH',
      headers: { 'idempotency-key': key, 'if-match': '"7"' },
      json: { notes: 'stale' },
    });
    expect(stale.status).toBe(409);
    expect(
      await scalar(
        'SELECT count(*)::int AS n FROM idempotency_keys WHERE principal = $1 AND key = $2',
        ['manager-idem', key],
      ),
    ).toBe(0);
    const fixed = await call(`/api/clients/${client.id}`, {
      method: 'PATCH',
      headers: { 'idempotency-key': key, 'if-match': '"1"' },
      json: { notes: 'fresh' },
    });
    expect(fixed).toMatchObject({ status: 200, etag: '"2"', replayed: null });
  });
});

describe('round trips to PostgreSQL per write', () => {
  /** Counts statements sent by any pg client of this process while `fn` runs. */
  async function roundTrips(fn: () => Promise<unknown>) {
    const proto = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
    const original = proto.query;
    let count = 0;
    proto.query = function (this: unknown, ...args: unknown[]) {
      const config = args[0];
      const text = typeof config === 'string' ? config : (config as { text?: string })?.text;
      // The after-commit relay wake-up is not part of the write.
      if (!text?.includes('pg_notify')) count++;
      return original.apply(this, args);
    };
    try {
      await fn();
    } finally {
      proto.query = original;
    }
    return count;
  }

  it('is one for a create, an update and a delete, with and without a key', async () => {
    const counts: Record<string, number> = {};
    for (const keyed of [false, true]) {
      const headers = (): Record<string, string> =>
        keyed ? { 'idempotency-key': `trips-${randomUUID()}` } : {};
      const label = keyed ? 'with key' : 'without key';
      let id = '';
      counts[`create ${label}`] = await roundTrips(async () => {
        const res = await call('/api/clients', {
          method: 'POST',
          headers: headers(),
          json: { branchId: branchA, fullName: 'Round Trips' },
        });
        expect(res.status).toBe(201);
        id = res.body.id;
      });
      counts[`update ${label}`] = await roundTrips(async () => {
        const res = await call(`/api/clients/${id}`, {
          method: 'PATCH',
          headers: { ...headers(), 'if-match': '"1"' },
          json: { notes: 'counted' },
        });
        expect(res.status).toBe(200);
      });
      counts[`delete ${label}`] = await roundTrips(async () => {
        const res = await call(`/api/clients/${id}?version=2`, {
          method: 'DELETE',
          headers: headers(),
        });
        expect(res.status).toBe(200);
      });
    }
    expect(counts).toEqual({
      'create without key': 1,
      'update without key': 1,
      'delete without key': 1,
      'create with key': 1,
      'update with key': 1,
      'delete with key': 1,
    });
  });

  it('is one for an order create (stock reserved), a status move and a delete', async () => {
    const list = async (path: string) =>
      ((await (await t.request(path, { token: managerA })).json()) as { items: never[] }).items;
    const [client] = await list(`/api/clients?branchId=${branchA}&limit=1`);
    const stock = (await list(`/api/stock?branchId=${branchA}&limit=500`)) as {
      productId: string;
      quantity: number;
      reserved: number;
    }[];
    const line = stock.find((s) => s.quantity - s.reserved >= 2);
    if (!client || !line) throw new Error('seed has no client or stock');
    const key = () => ({ 'idempotency-key': `order-${randomUUID()}` });
    let order = { id: '', version: 0 };
    const create = await roundTrips(async () => {
      const res = await call('/api/orders', {
        method: 'POST',
        headers: key(),
        json: {
          branchId: branchA,
          clientId: (client as { id: string }).id,
          items: [{ productId: line.productId, quantity: 2 }],
        },
      });
      expect(res.status).toBe(201);
      order = res.body;
    });
    const confirm = await roundTrips(async () => {
      const res = await call(`/api/orders/${order.id}`, {
        method: 'PATCH',
        headers: { ...key(), 'if-match': '"1"' },
        json: { status: 'confirmed' },
      });
      expect(res.body).toMatchObject({ status: 'confirmed', version: 2 });
    });
    const remove = await roundTrips(async () => {
      const res = await call(`/api/orders/${order.id}`, { method: 'DELETE', headers: key() });
      expect(res.body).toMatchObject({ status: 'cancelled', version: 3 });
    });
    expect({ create, confirm, remove }).toEqual({ create: 1, confirm: 1, remove: 1 });
    const after = (await list(`/api/stock?branchId=${branchA}&limit=500`)) as typeof stock;
    expect(after.find((s) => s.productId === line.productId)?.reserved).toBe(line.reserved);
  });

  it('is one for a replay and two for a version conflict', async () => {
    const client = await newClient();
    const key = `trips-replay-${randomUUID()}`;
    const init: Init = {
      method: 'PATCH',
      headers: { 'idempotency-key': key, 'if-match': '"1"' },
      json: { notes: 'once' },
    };
    expect((await call(`/api/clients/${client.id}`, init)).status).toBe(200);
    const replay = await roundTrips(async () => {
      expect((await call(`/api/clients/${client.id}`, init)).replayed).toBe('true');
    });
    const conflict = await roundTrips(async () => {
      const res = await call(`/api/clients/${client.id}`, {
        method: 'PATCH',
        headers: { 'if-match': '"1"' },
        json: { notes: 'stale' },
      });
      expect(res.status).toBe(409);
    });
    expect({ replay, conflict }).toEqual({ replay: 1, conflict: 2 });
  });
});
