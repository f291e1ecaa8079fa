import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  check,
  index,
  pgTable,
  text,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { recordColumns } from './columns.ts';

/** The global catalogue: `branch_id` is always NULL (a row every branch sees). */
export const products = pgTable(
  'products',
  {
    ...recordColumns(),
    branchId: uuid('branch_id').$type<null>(),
    sku: text('sku').notNull(),
    name: text('name').notNull(),
    description: text('description').notNull().default(''),
    category: text('category').notNull(),
    unitPriceCents: bigint('unit_price_cents', { mode: 'number' }).notNull(),
    requiresPrescription: boolean('requires_prescription').notNull().default(false),
    active: boolean('active').notNull().default(true),
  },
  (t) => [
    check('products_branch_id_null', sql`${t.branchId} IS NULL`),
    check('products_unit_price_cents_non_negative', sql`${t.unitPriceCents} >= 0`),
    uniqueIndex('products_sku_live_key').on(t.sku).where(sql`${t.deletedAt} IS NULL`),
    index('products_updated_at_id_idx').on(t.updatedAt, t.id),
  ],
);
