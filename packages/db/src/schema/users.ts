import { roles } from '@dynapharm/types';
import { sql } from 'drizzle-orm';
import { check, pgTable, text, uuid } from 'drizzle-orm/pg-core';
import { timestamptz } from './columns.ts';

/** Login accounts. Not synchronised: no version, no triggers, no `sync_log`. */
export const users = pgTable(
  'users',
  {
    id: text('id').primaryKey(),
    email: text('email').notNull().unique('users_email_key'),
    name: text('name').notNull(),
    role: text('role', { enum: roles }).notNull(),
    /** Branches a manager or staff member may see; ignored for admins. */
    branches: uuid('branches').array().notNull().default(sql`'{}'::uuid[]`),
    createdAt: timestamptz('created_at').notNull().defaultNow(),
    updatedAt: timestamptz('updated_at').notNull().defaultNow(),
  },
  () => [check('users_role_known', sql.raw(`role IN (${roles.map((r) => `'${r}'`).join(', ')})`))],
);
