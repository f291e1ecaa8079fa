import {
  type Order,
  type OrderCreate,
  type OrderStatus,
  type OrderUpdate,
  orderCreateSchema,
  orderTransitions,
  orderUpdateSchema,
} from '@dynapharm/types';
import { type SQL, sql } from 'drizzle-orm';
import type { z } from 'zod';
import {
  BadRequestError,
  ConflictError,
  InsufficientStockError,
  InvalidTransitionError,
  NotFoundError,
  type StockShortfall,
  VersionConflictError,
} from '../errors.ts';
import { newId } from '../schema/columns.ts';
import { orders } from '../schema/orders.ts';
import { canRead, canWrite, type Scope } from '../scope.ts';
import type { Executor } from '../transaction.ts';
import { assertWritable, findRow, listRows, parseInput, recordJson, writableSql } from './core.ts';
import { sameValue } from './mapping.ts';
import { type ResourceRepository, recordOf, runWrite } from './resource-repository.ts';
import type { WritePlan } from './write.ts';

type ParsedCreate = z.output<typeof orderCreateSchema>;
type ParsedUpdate = z.output<typeof orderUpdateSchema>;

/**
 * Orders with their items. Stock moves with the status:
 * create reserves (`reserved += qty`), `confirmed` keeps the reservation,
 * `fulfilled` takes the goods (`quantity -= qty`, `reserved -= qty`),
 * `cancelled` (and deleting an open order) releases the reservation.
 * Overselling is refused by the `stock_reserved_within_quantity` check.
 */
export type OrderRepository = ResourceRepository<
  Order,
  OrderCreate,
  OrderUpdate,
  ParsedCreate,
  ParsedUpdate
>;

const RESOURCE = 'orders';
const openStatuses: readonly OrderStatus[] = ['pending', 'confirmed'];

/**
 * The items of an order in the API shape (the change trigger builds the same
 * objects, in the same `id` order), read from `source`, a relation with
 * `order_items` columns.
 */
function itemsJson(source: SQL, where: SQL): SQL {
  return sql`(SELECT coalesce(jsonb_agg(jsonb_build_object(
      'id', i.id, 'productId', i.product_id, 'quantity', i.quantity,
      'unitPriceCents', i.unit_price_cents) ORDER BY i.id), '[]'::jsonb)
    FROM ${source} i WHERE ${where})`;
}

/** An `orders` row (the current row of the query) with its committed items. */
export const orderJson = sql`${recordJson(orders)} || jsonb_build_object('items', ${itemsJson(
  sql`order_items`,
  sql`i.order_id = ${orders.id}`,
)})`;

/** Whether an existing order is what `input` would have created (an idempotent replay). */
function sameOrder(existing: Order, input: ParsedCreate, scope: Scope): boolean {
  if (scope !== 'all' && !scope.includes(existing.branchId)) return false;
  const lines = (items: readonly { productId: string; quantity: number }[]) =>
    items
      .map((item) => ({ productId: item.productId.toLowerCase(), quantity: item.quantity }))
      .sort((a, b) => a.productId.localeCompare(b.productId));
  return (
    existing.branchId === input.branchId.toLowerCase() &&
    existing.clientId === input.clientId.toLowerCase() &&
    existing.notes === input.notes &&
    sameValue(lines(existing.items), lines(input.items))
  );
}

/**
 * CTEs that move the stock of the order selected by CTE `target` (columns id,
 * branch_id, before): `when` decides on `t.before`. Stock rows are locked in
 * `product_id` order, the order creates lock them in, so concurrent orders on
 * the same products queue instead of deadlocking.
 */
function stockMove(move: 'fulfil' | 'release', when: SQL): SQL {
  const quantity = move === 'fulfil' ? sql`quantity = stock.quantity - k.quantity,` : sql``;
  return sql`locked AS (
      SELECT s.id, i.quantity FROM target t
      JOIN order_items i ON i.order_id = t.id
      JOIN stock s ON s.branch_id = t.branch_id AND s.product_id = i.product_id
      WHERE ${when}
      ORDER BY s.product_id
      FOR UPDATE OF s),
    moved AS (
      UPDATE stock SET ${quantity} reserved = stock.reserved - k.quantity
      FROM locked k, settings WHERE stock.id = k.id)`;
}

interface CreateState {
  existing: Order | null;
  clientOk: boolean;
  known: string[];
  available: Record<string, number>;
}

function createPlan(input: ParsedCreate, scope: Scope): WritePlan<Order, CreateState> {
  const id = (input.id ?? newId()).toLowerCase();
  const branchId = input.branchId.toLowerCase();
  const clientId = input.clientId.toLowerCase();
  const lines = input.items.map((item) => ({
    id: newId(),
    product_id: item.productId.toLowerCase(),
    quantity: item.quantity,
  }));
  const count = lines.length;
  const writable = canWrite(scope, branchId);
  const linesCte = sql`lines AS (
      SELECT * FROM jsonb_to_recordset(${JSON.stringify(lines)}::jsonb)
        AS l(id uuid, product_id uuid, quantity int))`;
  const clientOk = sql`EXISTS (
      SELECT 1 FROM clients c
      WHERE c.id = ${clientId}::uuid AND c.branch_id = ${branchId}::uuid AND c.deleted_at IS NULL)`;
  return {
    // Every write below depends on `ready` and on the stock rows of all lines
    // being locked, so either all of it happens or nothing; an oversell fails
    // the stock check and undoes the statement.
    ctes: sql`${linesCte},
      priced AS (
        SELECT l.id, l.product_id, l.quantity, p.unit_price_cents FROM lines l
        JOIN products p ON p.id = l.product_id AND p.active AND p.deleted_at IS NULL),
      ready AS MATERIALIZED (
        SELECT ${writable}::boolean
          AND NOT EXISTS (SELECT 1 FROM prior)
          AND NOT EXISTS (SELECT 1 FROM orders WHERE id = ${id}::uuid)
          AND ${clientOk}
          AND (SELECT count(*) FROM priced) = ${count}::int AS go),
      stock_rows AS (
        SELECT s.id, s.product_id FROM stock s
        WHERE (SELECT go FROM ready) AND s.branch_id = ${branchId}::uuid
          AND s.deleted_at IS NULL AND s.product_id IN (SELECT product_id FROM lines)
        ORDER BY s.product_id
        FOR UPDATE OF s),
      reserved AS (
        UPDATE stock SET reserved = stock.reserved + l.quantity
        FROM stock_rows k JOIN lines l ON l.product_id = k.product_id, settings
        WHERE stock.id = k.id AND (SELECT count(*) FROM stock_rows) = ${count}::int
        RETURNING stock.id),
      inserted AS (
        INSERT INTO orders (id, branch_id, client_id, status, notes, total_cents)
        SELECT ${id}::uuid, ${branchId}::uuid, ${clientId}::uuid, 'pending', ${input.notes}::text,
               (SELECT sum(quantity * unit_price_cents) FROM priced)
        FROM settings
        WHERE (SELECT count(*) FROM reserved) = ${count}::int
        RETURNING ${recordJson(orders)} AS record, ${orders.version} AS version, ${orders.id} AS id),
      items AS (
        INSERT INTO order_items (id, order_id, product_id, quantity, unit_price_cents)
        SELECT p.id, o.id, p.product_id, p.quantity, p.unit_price_cents FROM inserted o, priced p
        RETURNING id, product_id, quantity, unit_price_cents),
      answer AS (
        SELECT 201 AS status,
               o.record || jsonb_build_object('items', ${itemsJson(sql`items`, sql`true`)}) AS record,
               o.version
        FROM inserted o)`,
    probe: {
      ctes: linesCte,
      state: sql`SELECT jsonb_build_object(
          'existing', (SELECT ${orderJson} FROM orders WHERE ${orders.id} = ${id}::uuid),
          'clientOk', ${clientOk},
          'known', (SELECT coalesce(jsonb_agg(p.id), '[]'::jsonb) FROM products p
                    WHERE p.id IN (SELECT product_id FROM lines) AND p.active AND p.deleted_at IS NULL),
          'available', (SELECT coalesce(jsonb_object_agg(s.product_id::text, s.quantity - s.reserved), '{}'::jsonb)
                        FROM stock s
                        WHERE s.branch_id = ${branchId}::uuid AND s.deleted_at IS NULL
                          AND s.product_id IN (SELECT product_id FROM lines)))`,
    },
    probeOn: (error) =>
      error.constraint === 'orders_pkey' || error.constraint === 'stock_reserved_within_quantity',
    settle(state) {
      assertWritable(scope, branchId, RESOURCE);
      if (!state) return undefined;
      if (state.existing) {
        if (!sameOrder(state.existing, input, scope)) {
          throw new ConflictError(`orders ${id} already exists with different content`, { id });
        }
        return { status: 200, record: state.existing };
      }
      if (!state.clientOk) {
        throw new BadRequestError('clientId must name a client of the order’s branch', {
          field: 'clientId',
        });
      }
      const known = new Set(state.known);
      const unknown = lines.map((l) => l.product_id).filter((productId) => !known.has(productId));
      if (unknown.length > 0) {
        throw new BadRequestError('unknown or inactive product(s)', { productIds: unknown });
      }
      const shortfalls: StockShortfall[] = [];
      for (const line of lines) {
        const available = state.available[line.product_id] ?? 0;
        if (line.quantity > available) {
          shortfalls.push({ productId: line.product_id, requested: line.quantity, available });
        }
      }
      if (shortfalls.length > 0) throw new InsufficientStockError(shortfalls);
      return undefined;
    },
  };
}

/** The current order, for a write that changed nothing to explain itself. */
function currentOrder(id: string): SQL {
  return sql`SELECT ${orderJson} FROM orders WHERE ${orders.id} = ${id}::uuid`;
}

function updatePlan(
  id: string,
  patch: ParsedUpdate,
  expectedVersion: number,
  scope: Scope,
): WritePlan<Order, Order> {
  const status = patch.status;
  const assignments: SQL[] = [];
  if (status !== undefined) assignments.push(sql`status = ${status}::text`);
  if (patch.notes !== undefined) assignments.push(sql`notes = ${patch.notes}::text`);
  const set = assignments.length > 0 ? sql.join(assignments, sql`, `) : sql`id = orders.id`;
  // A status may stay as it is, or move along `orderTransitions`.
  const from = (Object.keys(orderTransitions) as OrderStatus[]).filter(
    (before) => status !== undefined && orderTransitions[before].includes(status),
  );
  const statusOk =
    status === undefined
      ? sql`true`
      : sql`(o.status = ${status}::text OR ${JSON.stringify(from)}::jsonb ? o.status)`;
  const move =
    status === 'fulfilled' || status === 'cancelled'
      ? sql`${stockMove(
          status === 'fulfilled' ? 'fulfil' : 'release',
          sql`t.before <> ${status}::text`,
        )},`
      : sql``;
  return {
    ctes: sql`target AS (
        SELECT o.id, o.branch_id, o.status AS before FROM orders o
        WHERE o.id = ${id}::uuid AND o.version = ${expectedVersion}::int AND o.deleted_at IS NULL
          AND ${writableSql(scope, sql`o.branch_id`)} AND ${statusOk}
          AND NOT EXISTS (SELECT 1 FROM prior)
        FOR UPDATE),
      ${move}
      changed AS (
        UPDATE orders SET ${set} FROM target t, settings WHERE ${orders.id} = t.id
        RETURNING ${orderJson} AS record, ${orders.version} AS version),
      answer AS (SELECT 200 AS status, record, version FROM changed)`,
    probe: { state: currentOrder(id) },
    settle(current) {
      if (!current || !canRead(scope, current.branchId) || current.deletedAt) {
        throw new NotFoundError(RESOURCE, id);
      }
      assertWritable(scope, current.branchId, RESOURCE);
      if (current.version !== expectedVersion) {
        throw new VersionConflictError(current, expectedVersion);
      }
      if (
        status !== undefined &&
        status !== current.status &&
        !orderTransitions[current.status].includes(status)
      ) {
        throw new InvalidTransitionError(current.status, status);
      }
      return undefined;
    },
  };
}

function removePlan(
  id: string,
  expectedVersion: number | undefined,
  scope: Scope,
): WritePlan<Order, Order> {
  const version = expectedVersion ?? null;
  // Deleting an open order cancels it in the same version: its reservation goes back.
  const open = sql`${JSON.stringify(openStatuses)}::jsonb ? t.before`;
  return {
    ctes: sql`target AS (
        SELECT o.id, o.branch_id, o.status AS before FROM orders o
        WHERE o.id = ${id}::uuid AND o.deleted_at IS NULL
          AND (${version}::int IS NULL OR o.version = ${version}::int)
          AND ${writableSql(scope, sql`o.branch_id`)}
          AND NOT EXISTS (SELECT 1 FROM prior)
        FOR UPDATE),
      ${stockMove('release', open)},
      changed AS (
        UPDATE orders
        SET deleted_at = now(), status = CASE WHEN ${open} THEN 'cancelled' ELSE orders.status END
        FROM target t, settings WHERE ${orders.id} = t.id
        RETURNING ${orderJson} AS record, ${orders.version} AS version),
      answer AS (SELECT 200 AS status, record, version FROM changed)`,
    probe: { state: currentOrder(id) },
    settle(current) {
      if (!current || !canRead(scope, current.branchId)) throw new NotFoundError(RESOURCE, id);
      assertWritable(scope, current.branchId, RESOURCE);
      if (current.deletedAt) return { status: 200, record: current };
      if (expectedVersion !== undefined && current.version !== expectedVersion) {
        throw new VersionConflictError(current, expectedVersion);
      }
      return undefined;
    },
  };
}

export function createOrderRepository(db: Executor): OrderRepository {
  const repository: OrderRepository = {
    async list(query) {
      const { rows, nextCursor } = await listRows<Order>(
        db,
        orders,
        query,
        { status: orders.status },
        orderJson,
      );
      return { items: rows, nextCursor };
    },

    async get(id, scope, options = {}) {
      return findRow<Order>(db, orders, RESOURCE, id, scope, { ...options, record: orderJson });
    },

    write(command, ctx) {
      return runWrite(db, RESOURCE, { createPlan, updatePlan, removePlan }, command, ctx);
    },

    async create(input, ctx) {
      const parsed = parseInput(orderCreateSchema, input);
      const { record, status } = recordOf(
        await repository.write({ op: 'create', input: parsed }, ctx),
      );
      return { record, created: status === 201 };
    },

    async update(id, patch, expectedVersion, ctx) {
      const parsed = parseInput(orderUpdateSchema, patch);
      return recordOf(
        await repository.write({ op: 'update', id, patch: parsed, expectedVersion }, ctx),
      ).record;
    },

    async remove(id, expectedVersion, ctx) {
      return recordOf(await repository.write({ op: 'remove', id, expectedVersion }, ctx)).record;
    },
  };
  return repository;
}
