import { createTestDatabase, type IsolatedDatabase } from '@dynapharm/testkit';
import { drizzle } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { confirmIncarnation, renewEpoch } from './epoch.ts';
import { readChanges } from './read-changes.ts';
import { claimRows } from './relay/claim.ts';
import { trimLog } from './relay/trim.ts';

let database: IsolatedDatabase;
let pool: pg.Pool;
const db = () => drizzle(pool);

const branchA = '0193a1b2-0000-7000-8000-00000000000a';
const branchB = '0193a1b2-0000-7000-8000-00000000000b';

beforeAll(async () => {
  database = await createTestDatabase();
  pool = new pg.Pool({ connectionString: database.url, max: 2 });
  for (const [id, code] of [
    [branchA, 'A'],
    [branchB, 'B'],
  ] as const) {
    await pool.query(
      `INSERT INTO branches (id, code, name, city) VALUES ($1, 'BR-' || $2, $2, 'Kampala')`,
      [id, code],
    );
  }
});

afterAll(async () => {
  await pool.end();
  await database.drop();
});

async function addClient(branchId: string, name: string) {
  await pool.query(
    'INSERT INTO clients (id, branch_id, full_name) VALUES (gen_random_uuid(), $1, $2)',
    [branchId, name],
  );
}

async function addProduct(name: string) {
  await pool.query(
    `INSERT INTO products (id, sku, name, category, unit_price_cents)
     VALUES (gen_random_uuid(), $1, $1, 'test', 1)`,
    [name],
  );
}

/** Numbers every pending change, as the relay leader does. */
async function claimAll() {
  const client = await pool.connect();
  try {
    return await claimRows(client, 10_000);
  } finally {
    client.release();
  }
}

describe('readChanges', () => {
  let epoch: string;
  let start: number;

  beforeEach(async () => {
    await claimAll();
    const page = await readChanges(db(), { scope: 'all' });
    epoch = page.epoch;
    start = page.head;
  });

  it('answers where the stream stands, with its epoch, when asked without an offset', async () => {
    const page = await readChanges(db(), { scope: 'all' });
    expect(page).toEqual({
      epoch,
      head: start,
      after: null,
      resync: false,
      hasMore: false,
      nextAfter: start,
      changes: [],
    });
  });

  it('pages the caller’s changes after an offset, scoped to its branches, each with the epoch', async () => {
    await addClient(branchA, 'in A');
    await addClient(branchB, 'in B');
    await addProduct(`global-${start}`);
    await addClient(branchA, 'in A again');
    await claimAll();

    const all = await readChanges(db(), { after: start, scope: 'all' });
    expect(all.changes.map((c) => c.offset)).toEqual([start + 1, start + 2, start + 3, start + 4]);
    expect(all.changes.every((c) => c.epoch === epoch)).toBe(true);

    const a = await readChanges(db(), { after: start, scope: [branchA], limit: 2 });
    expect(a.changes.map((c) => [c.resource, c.branchId])).toEqual([
      ['clients', branchA],
      ['products', null],
    ]);
    expect(a).toMatchObject({ hasMore: true, nextAfter: start + 3, head: start + 4 });
    const rest = await readChanges(db(), { after: a.nextAfter, scope: [branchA], limit: 2 });
    expect(rest.changes.map((c) => c.data.fullName)).toEqual(['in A again']);
    expect(rest).toMatchObject({ hasMore: false, nextAfter: start + 4 });

    const onlyProducts = await readChanges(db(), {
      after: start,
      scope: [branchB],
      resources: ['products'],
    });
    expect(onlyProducts.changes.map((c) => c.resource)).toEqual(['products']);
  });

  it('answers resync to an offset of another epoch, beyond the head, or trimmed away', async () => {
    await addClient(branchA, 'trim me');
    await claimAll();
    const head = start + 1;
    const otherEpoch = '0193a1b2-0000-7000-8000-0000000000ff';
    expect((await readChanges(db(), { after: start, epoch, scope: 'all' })).resync).toBe(false);
    expect(
      (await readChanges(db(), { after: start, epoch: otherEpoch, scope: 'all' })).resync,
    ).toBe(true);
    expect((await readChanges(db(), { after: head + 1, scope: 'all' })).resync).toBe(true);

    await pool.query(
      `UPDATE sync_log SET published_at = now(), changed_at = now() - interval '2 days'`,
    );
    const client = await pool.connect();
    try {
      expect(await trimLog(client, 24 * 3600 * 1000)).toBeGreaterThan(0);
    } finally {
      client.release();
    }
    const page = await readChanges(db(), { after: start, scope: 'all' });
    expect(page).toMatchObject({ resync: true, head, changes: [] });
    expect((await readChanges(db(), { after: head, scope: 'all' })).resync).toBe(false);
  });
});

describe('epoch', () => {
  it('stays while the database is the same and changes when it is replaced or reset', async () => {
    const client = await pool.connect();
    try {
      const first = await confirmIncarnation(client);
      const again = await confirmIncarnation(client);
      expect(again).toEqual({ ...first, renewed: false });

      // A logical restore recreates the table with the old row in it.
      await client.query(`
        CREATE TABLE relay_state_restored (LIKE relay_state INCLUDING ALL);
        INSERT INTO relay_state_restored SELECT * FROM relay_state;
        DROP TABLE relay_state;
        ALTER TABLE relay_state_restored RENAME TO relay_state;`);
      const restored = await confirmIncarnation(client);
      expect(restored.renewed).toBe(true);
      expect(restored.epoch).not.toBe(first.epoch);
      expect(restored.head).toBe(first.head);

      // A reset of the stream state starts a new epoch at the highest offset still logged.
      await client.query('DELETE FROM relay_state');
      const reset = await confirmIncarnation(client);
      expect(reset.epoch).not.toBe(restored.epoch);
      const kept = await client.query<{ max: string }>(
        'SELECT coalesce(max("offset"), 0) AS max FROM sync_log',
      );
      expect(reset.head).toBe(Number(kept.rows[0]?.max));

      const renewed = await renewEpoch(client);
      expect((await readChanges(db(), { scope: 'all' })).epoch).toBe(renewed);
    } finally {
      client.release();
    }
  });
});
