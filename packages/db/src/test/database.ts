import { createTestDatabase } from '@dynapharm/testkit';
import { sql } from 'drizzle-orm';
import { createDb } from '../client.ts';
import { createRepositories } from '../repositories/create-repositories.ts';
import type { Executor } from '../transaction.ts';

/** A migrated database cloned for one suite, with a pool and the repositories on it. */
export async function openTestDb() {
  const database = await createTestDatabase();
  const handle = createDb(database.url, { max: 16 });
  return {
    db: handle.db,
    url: database.url,
    repos: createRepositories(handle.db),
    async close() {
      await handle.close();
      await database.drop();
    },
  };
}

export const admin = { scope: 'all' as const, actor: 'test-admin' };

/** Two branches, two products, stock of both in both branches and a client per branch. */
export async function createFixtures(db: Executor, label: string) {
  const repos = createRepositories(db);
  const code = label.toUpperCase().slice(0, 10);
  const north = (
    await repos.branches.create({ code: `${code}-N`, name: 'North', city: 'Kampala' }, admin)
  ).record;
  const south = (
    await repos.branches.create({ code: `${code}-S`, name: 'South', city: 'Nairobi' }, admin)
  ).record;
  const paracetamol = (
    await repos.products.create(
      { sku: `${code}-PCM`, name: 'Paracetamol', category: 'Analgesics', unitPriceCents: 350 },
      admin,
    )
  ).record;
  const amoxicillin = (
    await repos.products.create(
      { sku: `${code}-AMX`, name: 'Amoxicillin', category: 'Antibiotics', unitPriceCents: 650 },
      admin,
    )
  ).record;
  const stock: Record<string, string> = {};
  for (const branch of [north, south]) {
    for (const product of [paracetamol, amoxicillin]) {
      const row = await repos.stock.create(
        { branchId: branch.id, productId: product.id, quantity: 100 },
        admin,
      );
      stock[`${branch.id}:${product.id}`] = row.record.id;
    }
  }
  const northClient = (
    await repos.clients.create({ branchId: north.id, fullName: 'Grace Namukasa' }, admin)
  ).record;
  const southClient = (
    await repos.clients.create({ branchId: south.id, fullName: 'Brian Otieno' }, admin)
  ).record;
  return { north, south, paracetamol, amoxicillin, stock, northClient, southClient };
}

/** The sync_log rows of one record, oldest first. */
export async function logOf(db: Executor, recordId: string) {
  const result = await db.execute<{
    resource: string;
    action: string;
    version: number;
    branch_id: string | null;
    actor: string | null;
    origin: string | null;
    data: Record<string, unknown>;
  }>(
    sql`SELECT resource, action, version, branch_id, actor, origin, data FROM sync_log WHERE record_id = ${recordId} ORDER BY id`,
  );
  return result.rows;
}
