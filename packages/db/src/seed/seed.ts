import type { OrderStatus } from '@dynapharm/types';
import { sql } from 'drizzle-orm';
import { createOrderRepository } from '../repositories/orders.ts';
import { branches } from '../schema/branches.ts';
import { clients } from '../schema/clients.ts';
import { employees } from '../schema/employees.ts';
import { products } from '../schema/products.ts';
import { reports } from '../schema/reports.ts';
import { stock } from '../schema/stock.ts';
import { users } from '../schema/users.ts';
import { type Executor, withTransaction } from '../transaction.ts';
import { seedBranches } from './branches.ts';
import { demoUsers } from './demo-users.ts';
import { createRandom, seedId } from './ids.ts';
import { firstNames, lastNames, streets } from './people.ts';
import { seedProducts } from './products.ts';

export interface SeedOptions {
  /** Clients per branch. @default 20 */
  clientsPerBranch?: number;
  /** Orders per branch. @default 30 */
  ordersPerBranch?: number;
  /** Days of daily reports per branch, ending yesterday. @default 14 */
  reportDays?: number;
  /** The day reports count back from. @default today */
  today?: Date;
}

export interface SeedSummary {
  /** True when branches already existed and nothing was written. */
  skipped: boolean;
  counts: Record<string, number>;
}

const staffPlan = [
  'manager',
  'pharmacist',
  'pharmacist',
  'cashier',
  'storekeeper',
  'driver',
] as const;

/** Final statuses of seeded orders, in proportion (pending ones stay pending). */
const statusPlan: readonly OrderStatus[] = [
  'fulfilled',
  'fulfilled',
  'fulfilled',
  'fulfilled',
  'confirmed',
  'confirmed',
  'pending',
  'pending',
  'pending',
  'cancelled',
];

const emailSlug = (name: string) => name.toLowerCase().replace(/[^a-z]+/g, '.');

/**
 * Fills an empty database with deterministic demo data: 5 branches, 40 products,
 * stock for every branch × product, clients, employees, orders (through the order
 * repository, so reservations and stock stay consistent), daily reports and the
 * `demoUsers`. Everything is written by the normal triggers, so `sync_log` holds
 * the history of it (actor `seed`). Idempotent: skips when any branch exists.
 */
export async function seedDatabase(db: Executor, options: SeedOptions = {}): Promise<SeedSummary> {
  const clientsPerBranch = options.clientsPerBranch ?? 20;
  const ordersPerBranch = options.ordersPerBranch ?? 30;
  const reportDays = options.reportDays ?? 14;
  const today = options.today ?? new Date();
  const random = createRandom(20240607);
  const ctx = { actor: 'seed', origin: 'seed' };

  return withTransaction(db, ctx, async (tx): Promise<SeedSummary> => {
    // Serialise concurrent seeders, then check emptiness under the lock.
    await tx.execute(sql`SELECT pg_advisory_xact_lock(hashtext('dynapharm:seed'))`);
    const existing = await tx.execute<{ n: number }>(sql`SELECT count(*)::int AS n FROM branches`);
    if ((existing.rows[0]?.n ?? 0) > 0) return { skipped: true, counts: {} };

    await tx
      .insert(users)
      .values(demoUsers.map((user) => ({ ...user })))
      .onConflictDoNothing();

    await tx.insert(branches).values(
      seedBranches.map((b) => ({
        id: b.id,
        branchId: b.id,
        code: b.code,
        name: b.name,
        city: b.city,
        address: b.address,
        phone: b.phone,
      })),
    );

    const productRows = seedProducts.map((product) => ({
      ...product,
      id: seedId('product', product.sku),
      branchId: null,
    }));
    await tx.insert(products).values(productRows);

    const stockRows = seedBranches.flatMap((b) =>
      productRows.map((product) => ({
        id: seedId('stock', b.slug, product.sku),
        branchId: b.id,
        productId: product.id,
        quantity: random.int(40, 400),
        reorderLevel: random.pick([10, 20, 25, 50]),
      })),
    );
    await tx.insert(stock).values(stockRows);

    const clientRows = seedBranches.flatMap((b) =>
      Array.from({ length: clientsPerBranch }, (_, i) => {
        const fullName = `${random.pick(firstNames)} ${random.pick(lastNames)}`;
        return {
          id: seedId('client', b.slug, String(i)),
          branchId: b.id,
          fullName,
          email: i % 3 === 0 ? null : `${emailSlug(fullName)}${i}@mail.example`,
          phone: `${b.dialCode} 7${random.int(10, 99)} ${random.int(100, 999)} ${random.int(100, 999)}`,
          address: `${random.int(1, 250)} ${random.pick(streets)}, ${b.city}`,
          notes: i % 7 === 0 ? 'Prefers SMS reminders for refills.' : '',
        };
      }),
    );
    await tx.insert(clients).values(clientRows);

    await tx.insert(employees).values(
      seedBranches.flatMap((b) =>
        staffPlan.map((position, i) => {
          const fullName = `${random.pick(firstNames)} ${random.pick(lastNames)}`;
          return {
            id: seedId('employee', b.slug, String(i)),
            branchId: b.id,
            fullName,
            email: `${emailSlug(fullName)}.${b.slug}@dynapharm.example`,
            phone: `${b.dialCode} 7${random.int(10, 99)} ${random.int(100, 999)} ${random.int(100, 999)}`,
            position,
          };
        }),
      ),
    );

    const dayMs = 24 * 60 * 60 * 1000;
    await tx.insert(reports).values(
      seedBranches.flatMap((b) =>
        Array.from({ length: reportDays }, (_, i) => {
          const reportDate = new Date(today.getTime() - (i + 1) * dayMs).toISOString().slice(0, 10);
          const ordersCount = random.int(25, 90);
          const totalSalesCents = ordersCount * random.int(900, 4200);
          return {
            id: seedId('report', b.slug, String(i)),
            branchId: b.id,
            reportDate,
            ordersCount,
            totalSalesCents,
            cashCents: Math.round(totalSalesCents * (0.35 + random.next() * 0.4)),
            notes: i === 0 ? 'Closing count verified by the branch manager.' : '',
          };
        }),
      ),
    );

    // Orders go through the repository: prices from the catalogue, reservations and
    // status moves exactly as the API makes them.
    const orderRepo = createOrderRepository(tx);
    const write = { ...ctx, scope: 'all' as const };
    let ordersCreated = 0;
    for (const b of seedBranches) {
      const branchClients = clientRows.filter((c) => c.branchId === b.id);
      for (let i = 0; i < ordersPerBranch; i++) {
        const lines = random.int(1, 4);
        const chosen = new Set<string>();
        while (chosen.size < lines) chosen.add(random.pick(productRows).id);
        const { record } = await orderRepo.create(
          {
            id: seedId('order', b.slug, String(i)),
            branchId: b.id,
            clientId: random.pick(branchClients).id,
            notes: i % 5 === 0 ? 'Customer will collect after work.' : '',
            items: [...chosen].map((productId) => ({ productId, quantity: random.int(1, 5) })),
          },
          write,
        );
        ordersCreated++;
        const target = statusPlan[i % statusPlan.length] ?? 'pending';
        let version = record.version;
        if (target === 'confirmed' || target === 'fulfilled') {
          version = (await orderRepo.update(record.id, { status: 'confirmed' }, version, write))
            .version;
        }
        if (target === 'fulfilled' || target === 'cancelled') {
          await orderRepo.update(record.id, { status: target }, version, write);
        }
      }
    }

    return {
      skipped: false,
      counts: {
        users: demoUsers.length,
        branches: seedBranches.length,
        products: productRows.length,
        stock: stockRows.length,
        clients: clientRows.length,
        employees: seedBranches.length * staffPlan.length,
        reports: seedBranches.length * reportDays,
        orders: ordersCreated,
      },
    };
  });
}
