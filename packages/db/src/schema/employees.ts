import { employeePositions } from '@dynapharm/types';
import { sql } from 'drizzle-orm';
import { boolean, check, index, pgTable, text, uuid } from 'drizzle-orm/pg-core';
import { branches } from './branches.ts';
import { recordColumns } from './columns.ts';

/** A member of staff of one branch (HR record; not a login, see `users`). */
export const employees = pgTable(
  'employees',
  {
    ...recordColumns(),
    branchId: uuid('branch_id')
      .notNull()
      .references(() => branches.id),
    fullName: text('full_name').notNull(),
    email: text('email').notNull(),
    phone: text('phone').notNull().default(''),
    position: text('position', { enum: employeePositions }).notNull(),
    active: boolean('active').notNull().default(true),
  },
  (t) => [
    check(
      'employees_position_known',
      sql.raw(`position IN (${employeePositions.map((p) => `'${p}'`).join(', ')})`),
    ),
    index('employees_branch_id_idx').on(t.branchId),
    index('employees_updated_at_id_idx').on(t.updatedAt, t.id),
  ],
);
