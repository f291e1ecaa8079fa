import { clientSchema, orderSchema, stockSchema } from '@dynapharm/types';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clients } from './schema/clients.ts';
import { admin, createFixtures, logOf, openTestDb } from './test/database.ts';
import { withTransaction } from './transaction.ts';

let t: Awaited<ReturnType<typeof openTestDb>>;
let f: Awaited<ReturnType<typeof createFixtures>>;

beforeAll(async () => {
  t = await openTestDb();
  f = await createFixtures(t.db, 'trg');
});
afterAll(() => t?.close());

describe('versioning triggers', () => {
  it('start at version 1 and bump by one per change, whatever the caller sends', async () => {
    const [row] = await t.db
      .insert(clients)
      .values({ branchId: f.north.id, fullName: 'Amani Kamau', version: 42 })
      .returning();
    expect(row?.version).toBe(1);
    const id = row?.id ?? '';
    const [updated] = await t.db
      .update(clients)
      .set({ notes: 'first', version: 1000, createdAt: new Date(0) })
      .where(eq(clients.id, id))
      .returning();
    expect(updated?.version).toBe(2);
    expect(updated?.createdAt).toEqual(row?.createdAt);
    expect(updated?.updatedAt.getTime()).toBeGreaterThanOrEqual(row?.updatedAt.getTime() ?? 0);
    const [again] = await t.db
      .update(clients)
      .set({ notes: 'second', version: 1 })
      .where(eq(clients.id, id))
      .returning();
    expect(again?.version).toBe(3);
  });

  it('treat an update that changes nothing as a no-op: same version, no sync_log row', async () => {
    const { record } = await t.repos.clients.create(
      { branchId: f.north.id, fullName: 'Neema Mushi' },
      admin,
    );
    await t.db
      .update(clients)
      .set({ fullName: 'Neema Mushi', lastSyncedAt: new Date() })
      .where(eq(clients.id, record.id));
    const [row] = await t.db.select().from(clients).where(eq(clients.id, record.id));
    expect(row?.version).toBe(1);
    expect(await logOf(t.db, record.id)).toHaveLength(1);
  });
});

describe('sync_log', () => {
  it('gets exactly one row per change, in the API shape, with actor and origin', async () => {
    const { record } = await t.repos.clients.create(
      { branchId: f.north.id, fullName: 'Joyce Achola', email: 'joyce@example.com' },
      { ...admin, actor: 'manager-kampala', origin: 'op-1' },
    );
    const updated = await t.repos.clients.update(record.id, { notes: 'VIP' }, 1, {
      ...admin,
      actor: 'staff-kampala',
      origin: 'op-2',
    });
    const removed = await t.repos.clients.remove(record.id, 2, { ...admin, actor: 'admin' });

    const log = await logOf(t.db, record.id);
    expect(log.map((r) => [r.action, r.version, r.actor, r.origin])).toEqual([
      ['created', 1, 'manager-kampala', 'op-1'],
      ['updated', 2, 'staff-kampala', 'op-2'],
      ['deleted', 3, 'admin', null],
    ]);
    expect(log.every((r) => r.resource === 'clients' && r.branch_id === f.north.id)).toBe(true);
    // The logged data is exactly what the repository returns, and valid per the contract.
    expect(log[0]?.data).toEqual(record);
    expect(log[1]?.data).toEqual(updated);
    expect(log[2]?.data).toEqual(removed);
    expect(clientSchema.parse(log[2]?.data)).toEqual(removed);
  });

  it('does not log a change that rolls back, and logs all changes of a committed transaction', async () => {
    const before = await t.db.execute<{ n: number }>(sql`SELECT count(*)::int AS n FROM sync_log`);
    await expect(
      withTransaction(t.db, { actor: 'x' }, async (tx) => {
        await tx.insert(clients).values({ branchId: f.north.id, fullName: 'Rolled Back' });
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    const after = await t.db.execute<{ n: number }>(sql`SELECT count(*)::int AS n FROM sync_log`);
    expect(after.rows[0]?.n).toBe(before.rows[0]?.n);
  });

  it('logs an order with its items, and the stock rows its reservation changed', async () => {
    const stockBefore = await t.repos.stock.get(
      f.stock[`${f.north.id}:${f.paracetamol.id}`] ?? '',
      'all',
    );
    const { record: order } = await t.repos.orders.create(
      {
        branchId: f.north.id,
        clientId: f.northClient.id,
        items: [
          { productId: f.paracetamol.id, quantity: 2 },
          { productId: f.amoxicillin.id, quantity: 1 },
        ],
      },
      { ...admin, origin: 'order-op' },
    );
    const log = await logOf(t.db, order.id);
    expect(log).toHaveLength(1);
    expect(log[0]?.action).toBe('created');
    expect(log[0]?.origin).toBe('order-op');
    expect(orderSchema.parse(log[0]?.data)).toEqual(order);
    expect(order.items).toHaveLength(2);
    expect(order.totalCents).toBe(2 * 350 + 650);

    const stockLog = await logOf(t.db, stockBefore.id);
    const last = stockLog.at(-1);
    expect(last?.action).toBe('updated');
    expect(last?.version).toBe(stockBefore.version + 1);
    expect(stockSchema.parse(last?.data).reserved).toBe(stockBefore.reserved + 2);
  });

  it('sends no NOTIFY from inside the writing transaction (writers signal after commit)', async () => {
    const pg = await import('pg');
    const listener = new pg.default.Client({ connectionString: t.url });
    await listener.connect();
    try {
      const heard: string[] = [];
      listener.on('notification', (n) => heard.push(n.channel));
      await listener.query('LISTEN sync_log');
      await t.repos.clients.create({ branchId: f.south.id, fullName: 'Kato Mugisha' }, admin);
      await listener.query('SELECT 1'); // a round trip: a pending notification would be in by now
      await new Promise((r) => setTimeout(r, 200));
      expect(heard).toEqual([]);
    } finally {
      await listener.end();
    }
  });
});
