import { resourceSchemas } from '@dynapharm/types';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDb } from '../test/database.ts';
import { demoUsers } from './demo-users.ts';
import { seedDatabase } from './seed.ts';

let t: Awaited<ReturnType<typeof openTestDb>>;

beforeAll(async () => {
  t = await openTestDb();
});
afterAll(() => t?.close());

describe('seedDatabase', () => {
  it('fills an empty database quickly, consistently, and only once', async () => {
    const started = Date.now();
    const summary = await seedDatabase(t.db);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(summary.counts).toMatchObject({ branches: 5, products: 40, stock: 200, orders: 150 });

    // Reservations equal the open order lines, per stock row.
    const mismatches = await t.db.execute(sql`
      SELECT s.id FROM stock s
      LEFT JOIN (
        SELECT o.branch_id, i.product_id, sum(i.quantity)::int AS open_qty
        FROM orders o JOIN order_items i ON i.order_id = o.id
        WHERE o.status IN ('pending', 'confirmed') AND o.deleted_at IS NULL
        GROUP BY 1, 2
      ) r ON r.branch_id = s.branch_id AND r.product_id = s.product_id
      WHERE s.reserved <> coalesce(r.open_qty, 0)`);
    expect(mismatches.rows).toEqual([]);

    // Every change is in sync_log, in the contract's shape.
    const log = await t.db.execute<{ resource: keyof typeof resourceSchemas; data: unknown }>(
      sql`SELECT resource, data FROM sync_log ORDER BY id`,
    );
    expect(log.rows.length).toBeGreaterThan(600);
    for (const row of log.rows) resourceSchemas[row.resource].read.parse(row.data);

    const users = await t.db.execute<{ id: string }>(sql`SELECT id FROM users ORDER BY id`);
    expect(users.rows.map((u) => u.id).sort()).toEqual(demoUsers.map((u) => u.id).sort());

    expect((await seedDatabase(t.db)).skipped).toBe(true);
  });

  it('gives each branch user exactly their branch', async () => {
    const page = await t.repos.clients.list({
      scope: demoUsers.find((u) => u.id === 'staff-kigali')?.branches ?? [],
      limit: 500,
    });
    expect(page.items).toHaveLength(20);
  });
});
