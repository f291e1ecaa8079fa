import {
  type Order,
  type OrderCreate,
  type OrderItem,
  type OrderStatus,
  type OrderUpdate,
  orderCreateSchema,
  orderTransitions,
  orderUpdateSchema,
} from '@dynapharm/types';
import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import type { z } from 'zod';
import {
  BadRequestError,
  ConflictError,
  InsufficientStockError,
  InvalidTransitionError,
  type StockShortfall,
  VersionConflictError,
} from '../errors.ts';
import { clients } from '../schema/clients.ts';
import { newId } from '../schema/columns.ts';
import { orderItems, orders } from '../schema/orders.ts';
import { products } from '../schema/products.ts';
import { stock } from '../schema/stock.ts';
import type { Scope } from '../scope.ts';
import { type Executor, withTransaction } from '../transaction.ts';
import {
  assertWritable,
  changedFields,
  findRow,
  listRows,
  lockForWrite,
  parseInput,
} from './core.ts';
import { sameValue, toApiRecord } from './mapping.ts';
import { pgErrorOf, rethrowAsDbError } from './pg-errors.ts';
import type { ResourceRepository } from './resource-repository.ts';

/**
 * Orders with their items. Stock moves with the status:
 * create reserves (`reserved += qty`), `confirmed` keeps the reservation,
 * `fulfilled` takes the goods (`quantity -= qty`, `reserved -= qty`),
 * `cancelled` (and deleting an open order) releases the reservation.
 */
export type OrderRepository = ResourceRepository<Order, OrderCreate, OrderUpdate>;

type OrderRow = typeof orders.$inferSelect;
type ItemRow = typeof orderItems.$inferSelect;
type ParsedCreate = z.output<typeof orderCreateSchema>;

const RESOURCE = 'orders';
const openStatuses: readonly OrderStatus[] = ['pending', 'confirmed'];

function toOrder(row: OrderRow, items: readonly ItemRow[]): Order {
  return {
    ...toApiRecord(row),
    items: items.map(
      (item): OrderItem => ({
        id: item.id,
        productId: item.productId,
        quantity: item.quantity,
        unitPriceCents: item.unitPriceCents,
      }),
    ),
  };
}

async function itemsOf(db: Executor, orderIds: readonly string[]): Promise<Map<string, ItemRow[]>> {
  const byOrder = new Map<string, ItemRow[]>();
  if (orderIds.length === 0) return byOrder;
  const rows = await db
    .select()
    .from(orderItems)
    .where(inArray(orderItems.orderId, [...orderIds]))
    .orderBy(asc(orderItems.id));
  for (const row of rows) {
    const list = byOrder.get(row.orderId) ?? [];
    list.push(row);
    byOrder.set(row.orderId, list);
  }
  return byOrder;
}

/** How a status move (or deleting an open order) changes each stock row of the order's lines. */
type StockMove = 'fulfil' | 'release';

/**
 * Applies a stock move for every line of `order`. Stock rows are locked in
 * `product_id` order, the order `create` uses too, so concurrent orders
 * touching the same products queue instead of deadlocking.
 */
async function moveStock(db: Executor, order: OrderRow, move: StockMove): Promise<void> {
  const items = (await itemsOf(db, [order.id])).get(order.id) ?? [];
  if (items.length === 0) return;
  const locked = await db
    .select({ id: stock.id, productId: stock.productId })
    .from(stock)
    .where(
      and(
        eq(stock.branchId, order.branchId),
        inArray(
          stock.productId,
          items.map((item) => item.productId),
        ),
      ),
    )
    .orderBy(asc(stock.productId))
    .for('update');
  const stockIdOf = new Map(locked.map((row) => [row.productId, row.id]));
  const deltas = items.flatMap((item) => {
    const stockId = stockIdOf.get(item.productId);
    return stockId ? [{ stockId, quantity: item.quantity }] : [];
  });
  if (deltas.length === 0) return;
  const values = sql.join(
    deltas.map((d) => sql`(${d.stockId}::uuid, ${d.quantity}::int)`),
    sql`, `,
  );
  const quantityChange = move === 'fulfil' ? sql`quantity = stock.quantity - v.qty,` : sql``;
  await db.execute(
    sql`UPDATE stock SET ${quantityChange} reserved = stock.reserved - v.qty
        FROM (VALUES ${values}) AS v(id, qty) WHERE stock.id = v.id`,
  );
}

/** Whether an existing order is what `input` would have created (an idempotent replay). */
function sameOrder(existing: Order, input: ParsedCreate, scope: Scope): boolean {
  if (scope !== 'all' && !scope.includes(existing.branchId)) return false;
  const lines = (items: readonly { productId: string; quantity: number }[]) =>
    items
      .map((item) => ({ productId: item.productId, quantity: item.quantity }))
      .sort((a, b) => a.productId.localeCompare(b.productId));
  return (
    existing.branchId === input.branchId &&
    existing.clientId === input.clientId &&
    existing.notes === input.notes &&
    sameValue(lines(existing.items), lines(input.items))
  );
}

export function createOrderRepository(db: Executor): OrderRepository {
  async function load(executor: Executor, row: OrderRow): Promise<Order> {
    return toOrder(row, (await itemsOf(executor, [row.id])).get(row.id) ?? []);
  }

  async function replay(input: ParsedCreate, id: string, scope: Scope) {
    const [row] = await db.select().from(orders).where(eq(orders.id, id));
    const existing = row && (await load(db, row));
    if (!existing || !sameOrder(existing, input, scope)) {
      throw new ConflictError(`orders ${id} already exists with different content`, { id });
    }
    return { record: existing, created: false };
  }

  return {
    async list(query) {
      const { rows, nextCursor } = await listRows<OrderRow>(db, orders, query, {
        status: orders.status,
      });
      const items = await itemsOf(
        db,
        rows.map((row) => row.id),
      );
      return { items: rows.map((row) => toOrder(row, items.get(row.id) ?? [])), nextCursor };
    },

    async get(id, scope, options = {}) {
      return load(db, await findRow<OrderRow>(db, orders, RESOURCE, id, scope, options));
    },

    async create(input, ctx) {
      const parsed = parseInput(orderCreateSchema, input);
      const id = parsed.id ?? newId();
      assertWritable(ctx.scope, parsed.branchId, RESOURCE);
      const [known] = await db.select({ id: orders.id }).from(orders).where(eq(orders.id, id));
      if (known) return replay(parsed, id, ctx.scope);
      try {
        return await withTransaction(db, ctx, async (tx) => {
          const [client] = await tx
            .select({ branchId: clients.branchId, deletedAt: clients.deletedAt })
            .from(clients)
            .where(eq(clients.id, parsed.clientId));
          if (!client || client.deletedAt || client.branchId !== parsed.branchId) {
            throw new BadRequestError('clientId must name a client of the order’s branch', {
              field: 'clientId',
            });
          }

          const productIds = parsed.items.map((item) => item.productId);
          const catalogue = await tx
            .select({
              id: products.id,
              unitPriceCents: products.unitPriceCents,
              active: products.active,
              deletedAt: products.deletedAt,
            })
            .from(products)
            .where(inArray(products.id, productIds));
          const priceOf = new Map(
            catalogue.filter((p) => p.active && !p.deletedAt).map((p) => [p.id, p.unitPriceCents]),
          );
          const unknown = productIds.filter((productId) => !priceOf.has(productId));
          if (unknown.length > 0) {
            throw new BadRequestError('unknown or inactive product(s)', { productIds: unknown });
          }

          // Lock in product_id order (see moveStock): concurrent orders queue here, and
          // each re-reads the committed `reserved` of the one before it.
          const locked = await tx
            .select({
              id: stock.id,
              productId: stock.productId,
              quantity: stock.quantity,
              reserved: stock.reserved,
            })
            .from(stock)
            .where(
              and(
                eq(stock.branchId, parsed.branchId),
                inArray(stock.productId, productIds),
                sql`${stock.deletedAt} IS NULL`,
              ),
            )
            .orderBy(asc(stock.productId))
            .for('update');
          const stockOf = new Map(locked.map((row) => [row.productId, row]));
          const shortfalls: StockShortfall[] = [];
          for (const item of parsed.items) {
            const row = stockOf.get(item.productId);
            const available = row ? row.quantity - row.reserved : 0;
            if (item.quantity > available) {
              shortfalls.push({ productId: item.productId, requested: item.quantity, available });
            }
          }
          if (shortfalls.length > 0) throw new InsufficientStockError(shortfalls);

          const reservations = sql.join(
            parsed.items.map(
              (item) => sql`(${stockOf.get(item.productId)?.id}::uuid, ${item.quantity}::int)`,
            ),
            sql`, `,
          );
          await tx.execute(
            sql`UPDATE stock SET reserved = stock.reserved + v.qty
                FROM (VALUES ${reservations}) AS v(id, qty) WHERE stock.id = v.id`,
          );

          const lines = parsed.items.map((item) => ({
            id: newId(),
            orderId: id,
            productId: item.productId,
            quantity: item.quantity,
            unitPriceCents: priceOf.get(item.productId) ?? 0,
          }));
          const [row] = await tx
            .insert(orders)
            .values({
              id,
              branchId: parsed.branchId,
              clientId: parsed.clientId,
              status: 'pending',
              notes: parsed.notes,
              totalCents: lines.reduce((sum, line) => sum + line.quantity * line.unitPriceCents, 0),
            })
            .returning();
          const items = await tx.insert(orderItems).values(lines).returning();
          if (!row) throw new Error('insert into orders returned no row');
          return { record: toOrder(row, items), created: true };
        });
      } catch (error) {
        // A concurrent create with the same id won the race: answer like a replay.
        if (pgErrorOf(error)?.constraint === 'orders_pkey') return replay(parsed, id, ctx.scope);
        rethrowAsDbError(error);
      }
    },

    async update(id, patch, expectedVersion, ctx) {
      const parsed = parseInput(orderUpdateSchema, patch);
      try {
        return await withTransaction(db, ctx, async (tx) => {
          const current = await lockForWrite<OrderRow>(tx, orders, RESOURCE, id, ctx.scope);
          if (current.version !== expectedVersion) {
            throw new VersionConflictError(await load(tx, current), expectedVersion);
          }
          const changes = changedFields(parsed, current) as Partial<typeof parsed>;
          if (changes.status !== undefined) {
            if (!orderTransitions[current.status].includes(changes.status)) {
              throw new InvalidTransitionError(current.status, changes.status);
            }
            if (changes.status === 'fulfilled') await moveStock(tx, current, 'fulfil');
            if (changes.status === 'cancelled') await moveStock(tx, current, 'release');
          }
          if (Object.keys(changes).length === 0) return load(tx, current);
          const [row] = await tx.update(orders).set(changes).where(eq(orders.id, id)).returning();
          return load(tx, row ?? current);
        });
      } catch (error) {
        rethrowAsDbError(error);
      }
    },

    async remove(id, expectedVersion, ctx) {
      try {
        return await withTransaction(db, ctx, async (tx) => {
          const current = await lockForWrite<OrderRow>(tx, orders, RESOURCE, id, ctx.scope, true);
          if (current.deletedAt) return load(tx, current);
          if (expectedVersion !== undefined && current.version !== expectedVersion) {
            throw new VersionConflictError(await load(tx, current), expectedVersion);
          }
          // Deleting an open order cancels it in the same version: its reservation goes back.
          const open = openStatuses.includes(current.status);
          if (open) await moveStock(tx, current, 'release');
          const [row] = await tx
            .update(orders)
            .set({ deletedAt: sql`now()`, ...(open ? { status: 'cancelled' as const } : {}) })
            .where(eq(orders.id, id))
            .returning();
          return load(tx, row ?? current);
        });
      } catch (error) {
        rethrowAsDbError(error);
      }
    },
  };
}
