import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BadRequestError,
  InsufficientStockError,
  InvalidTransitionError,
  VersionConflictError,
} from '../errors.ts';
import { admin, createFixtures, logOf, openTestDb } from '../test/database.ts';

let t: Awaited<ReturnType<typeof openTestDb>>;
let f: Awaited<ReturnType<typeof createFixtures>>;

beforeAll(async () => {
  t = await openTestDb();
  f = await createFixtures(t.db, 'ord');
});
afterAll(() => t?.close());

const stockOf = async (branchId: string, productId: string) =>
  t.repos.stock.get(f.stock[`${branchId}:${productId}`] ?? '', 'all');

describe('order stock', () => {
  it('never oversells: 12 parallel orders of 1 unit for 5 available → exactly 5 succeed', async () => {
    const product = (
      await t.repos.products.create(
        { sku: 'ORD-RACE', name: 'Scarce syrup', category: 'Analgesics', unitPriceCents: 990 },
        admin,
      )
    ).record;
    const row = (
      await t.repos.stock.create(
        { branchId: f.north.id, productId: product.id, quantity: 5 },
        admin,
      )
    ).record;
    const outcomes = await Promise.allSettled(
      Array.from({ length: 12 }, (_, i) =>
        t.repos.orders.create(
          {
            branchId: f.north.id,
            clientId: f.northClient.id,
            // Half the orders also take a common product, listed first or last, so
            // lock ordering is exercised across rows too.
            items:
              i % 2 === 0
                ? [
                    { productId: f.paracetamol.id, quantity: 1 },
                    { productId: product.id, quantity: 1 },
                  ]
                : [
                    { productId: product.id, quantity: 1 },
                    { productId: f.amoxicillin.id, quantity: 1 },
                  ],
          },
          admin,
        ),
      ),
    );
    const ok = outcomes.filter((o) => o.status === 'fulfilled');
    const failed = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason] : []));
    expect(ok).toHaveLength(5);
    expect(failed).toHaveLength(7);
    for (const error of failed) {
      expect(error).toBeInstanceOf(InsufficientStockError);
      expect((error as InsufficientStockError).shortfalls).toEqual([
        { productId: product.id, requested: 1, available: 0 },
      ]);
    }
    const after = await t.repos.stock.get(row.id, 'all');
    expect(after).toMatchObject({ quantity: 5, reserved: 5, version: 6 });
  });

  it('refuses an order larger than the stock and reserves nothing', async () => {
    const before = await stockOf(f.south.id, f.paracetamol.id);
    const error = await t.repos.orders
      .create(
        {
          branchId: f.south.id,
          clientId: f.southClient.id,
          items: [
            { productId: f.amoxicillin.id, quantity: 1 },
            { productId: f.paracetamol.id, quantity: before.quantity + 1 },
          ],
        },
        admin,
      )
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InsufficientStockError);
    expect((error as InsufficientStockError).code).toBe('insufficient_stock');
    expect(await stockOf(f.south.id, f.paracetamol.id)).toEqual(before);
  });

  it('reserves on create, keeps on confirm, takes on fulfil, releases on cancel', async () => {
    const start = await stockOf(f.south.id, f.amoxicillin.id);
    const create = () =>
      t.repos.orders.create(
        {
          branchId: f.south.id,
          clientId: f.southClient.id,
          items: [{ productId: f.amoxicillin.id, quantity: 3 }],
        },
        admin,
      );
    const a = (await create()).record;
    const b = (await create()).record;
    expect(a.status).toBe('pending');
    expect(a.items[0]?.unitPriceCents).toBe(650);
    expect(await stockOf(f.south.id, f.amoxicillin.id)).toMatchObject({
      quantity: start.quantity,
      reserved: start.reserved + 6,
    });

    const confirmed = await t.repos.orders.update(a.id, { status: 'confirmed' }, 1, admin);
    expect(confirmed).toMatchObject({ status: 'confirmed', version: 2 });
    expect((await stockOf(f.south.id, f.amoxicillin.id)).reserved).toBe(start.reserved + 6);

    await t.repos.orders.update(a.id, { status: 'fulfilled' }, 2, admin);
    await t.repos.orders.update(b.id, { status: 'cancelled' }, 1, admin);
    expect(await stockOf(f.south.id, f.amoxicillin.id)).toMatchObject({
      quantity: start.quantity - 3,
      reserved: start.reserved,
    });

    const error = await t.repos.orders
      .update(a.id, { status: 'pending' }, 3, admin)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidTransitionError);
    expect((error as InvalidTransitionError).details).toEqual({ from: 'fulfilled', to: 'pending' });

    const log = await logOf(t.db, a.id);
    expect(log.map((r) => [r.action, r.version, r.data.status])).toEqual([
      ['created', 1, 'pending'],
      ['updated', 2, 'confirmed'],
      ['updated', 3, 'fulfilled'],
    ]);
    expect(log.every((r) => Array.isArray(r.data.items) && r.data.items.length === 1)).toBe(true);
  });

  it('releases the reservation when an open order is deleted', async () => {
    const start = await stockOf(f.north.id, f.amoxicillin.id);
    const { record } = await t.repos.orders.create(
      {
        branchId: f.north.id,
        clientId: f.northClient.id,
        items: [{ productId: f.amoxicillin.id, quantity: 4 }],
      },
      admin,
    );
    const removed = await t.repos.orders.remove(record.id, 1, admin);
    expect(removed).toMatchObject({ status: 'cancelled', version: 2 });
    expect(removed.deletedAt).not.toBeNull();
    expect((await stockOf(f.north.id, f.amoxicillin.id)).reserved).toBe(start.reserved);
  });
});

describe('order writes', () => {
  it('is idempotent for a replayed create with the same id, even concurrently', async () => {
    const input = {
      id: '01890a5d-ac96-774b-bcce-b302099a9001',
      branchId: f.north.id,
      clientId: f.northClient.id,
      items: [{ productId: f.paracetamol.id, quantity: 2 }],
    };
    const before = await stockOf(f.north.id, f.paracetamol.id);
    const results = await Promise.all([1, 2, 3].map(() => t.repos.orders.create(input, admin)));
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect((await stockOf(f.north.id, f.paracetamol.id)).reserved).toBe(before.reserved + 2);
    expect(await logOf(t.db, input.id)).toHaveLength(1);
    await expect(
      t.repos.orders.create(
        { ...input, items: [{ productId: f.paracetamol.id, quantity: 3 }] },
        admin,
      ),
    ).rejects.toMatchObject({ code: 'conflict' });
  });

  it('returns the current order (with items) on a version conflict', async () => {
    const { record } = await t.repos.orders.create(
      {
        branchId: f.north.id,
        clientId: f.northClient.id,
        items: [{ productId: f.paracetamol.id, quantity: 1 }],
      },
      admin,
    );
    const current = await t.repos.orders.update(record.id, { notes: 'ring first' }, 1, admin);
    const error = await t.repos.orders
      .update(record.id, { status: 'confirmed' }, 1, admin)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VersionConflictError);
    expect((error as VersionConflictError).current).toEqual(current);
  });

  it('refuses a client of another branch', async () => {
    await expect(
      t.repos.orders.create(
        {
          branchId: f.north.id,
          clientId: f.southClient.id,
          items: [{ productId: f.paracetamol.id, quantity: 1 }],
        },
        admin,
      ),
    ).rejects.toBeInstanceOf(BadRequestError);
  });

  it('lists orders by status with their items', async () => {
    const page = await t.repos.orders.list({ scope: [f.south.id], status: 'cancelled' });
    expect(page.items.length).toBeGreaterThan(0);
    expect(page.items.every((o) => o.status === 'cancelled' && o.items.length > 0)).toBe(true);
  });
});
