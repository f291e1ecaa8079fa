import { sql } from 'drizzle-orm';
import { check, index, integer, pgTable, unique, uuid } from 'drizzle-orm/pg-core';
import { branches } from './branches.ts';
import { recordColumns } from './columns.ts';
import { products } from './products.ts';

/**
 * Stock of one product in one branch. `reserved` is held by open (pending or
 * confirmed) orders; the CHECKs make overselling impossible even for code that
 * bypasses the repositories.
 */
export const stock = pgTable(
  'stock',
  {
    ...recordColumns(),
    branchId: uuid('branch_id')
      .notNull()
      .references(() => branches.id),
    productId: uuid('product_id')
      .notNull()
      .references(() => products.id),
    quantity: integer('quantity').notNull(),
    reserved: integer('reserved').notNull().default(0),
    reorderLevel: integer('reorder_level').notNull().default(0),
  },
  (t) => [
    unique('stock_branch_product_key').on(t.branchId, t.productId),
    check('stock_quantity_non_negative', sql`${t.quantity} >= 0`),
    check('stock_reserved_non_negative', sql`${t.reserved} >= 0`),
    check('stock_reserved_within_quantity', sql`${t.reserved} <= ${t.quantity}`),
    check('stock_reorder_level_non_negative', sql`${t.reorderLevel} >= 0`),
    index('stock_product_id_idx').on(t.productId),
    index('stock_updated_at_id_idx').on(t.updatedAt, t.id),
  ],
);
