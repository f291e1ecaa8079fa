import { index, pgTable, text, uuid } from 'drizzle-orm/pg-core';
import { branches } from './branches.ts';
import { recordColumns } from './columns.ts';

/** A customer of one branch. */
export const clients = pgTable(
  'clients',
  {
    ...recordColumns(),
    branchId: uuid('branch_id')
      .notNull()
      .references(() => branches.id),
    fullName: text('full_name').notNull(),
    email: text('email'),
    phone: text('phone'),
    address: text('address').notNull().default(''),
    notes: text('notes').notNull().default(''),
  },
  (t) => [
    index('clients_branch_id_idx').on(t.branchId),
    index('clients_updated_at_id_idx').on(t.updatedAt, t.id),
  ],
);
