import { orderStatuses } from '@dynapharm/types';
import { sql } from 'drizzle-orm';
import { bigint, check, index, integer, pgTable, text, unique, uuid } from 'drizzle-orm/pg-core';
import { branches } from './branches.ts';
import { clients } from './clients.ts';
import { newId, recordColumns, timestamptz } from './columns.ts';
import { products } from './products.ts';

/** An order of a client at a branch; its lines live in `order_items`. */
export const orders = pgTable(
  'orders',
  {
    ...recordColumns(),
    branchId: uuid('branch_id')
      .notNull()
      .references(() => branches.id),
    clientId: uuid('client_id')
      .notNull()
      .references(() => clients.id),
    status: text('status', { enum: orderStatuses }).notNull().default('pending'),
    totalCents: bigint('total_cents', { mode: 'number' }).notNull(),
    notes: text('notes').notNull().default(''),
  },
  (t) => [
    check(
      'orders_status_known',
      sql.raw(`status IN (${orderStatuses.map((s) => `'${s}'`).join(', ')})`),
    ),
    check('orders_total_cents_non_negative', sql`${t.totalCents} >= 0`),
    index('orders_branch_id_status_idx').on(t.branchId, t.status),
    index('orders_client_id_idx').on(t.clientId),
    index('orders_updated_at_id_idx').on(t.updatedAt, t.id),
  ],
);

/**
 * The lines of an order. Not a resource of their own: they are written once with
 * their order and travel inside the order's `sync_log` data as `items`.
 */
export const orderItems = pgTable(
  'order_items',
  {
    id: uuid('id').primaryKey().$defaultFn(newId),
    orderId: uuid('order_id')
      .notNull()
      .references(() => orders.id),
    productId: uuid('product_id')
      .notNull()
      .references(() => products.id),
    quantity: integer('quantity').notNull(),
    unitPriceCents: bigint('unit_price_cents', { mode: 'number' }).notNull(),
    createdAt: timestamptz('created_at').notNull().defaultNow(),
  },
  (t) => [
    unique('order_items_order_product_key').on(t.orderId, t.productId),
    check('order_items_quantity_positive', sql`${t.quantity} > 0`),
    check('order_items_unit_price_cents_non_negative', sql`${t.unitPriceCents} >= 0`),
    index('order_items_product_id_idx').on(t.productId),
  ],
);
