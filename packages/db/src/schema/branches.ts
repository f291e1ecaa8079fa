import { sql } from 'drizzle-orm';
import { boolean, check, index, pgTable, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { recordColumns } from './columns.ts';

/** A branch. Its `branch_id` equals its own `id`, so branch scoping works like everywhere else. */
export const branches = pgTable(
  'branches',
  {
    ...recordColumns(),
    branchId: uuid('branch_id').notNull(),
    code: text('code').notNull(),
    name: text('name').notNull(),
    city: text('city').notNull(),
    address: text('address').notNull().default(''),
    phone: text('phone').notNull().default(''),
    active: boolean('active').notNull().default(true),
  },
  (t) => [
    check('branches_branch_id_is_id', sql`${t.branchId} = ${t.id}`),
    uniqueIndex('branches_code_live_key').on(t.code).where(sql`${t.deletedAt} IS NULL`),
    index('branches_updated_at_id_idx').on(t.updatedAt, t.id),
  ],
);
