import { sql } from 'drizzle-orm';
import {
  bigint,
  check,
  date,
  index,
  integer,
  pgTable,
  text,
  unique,
  uuid,
} from 'drizzle-orm/pg-core';
import { branches } from './branches.ts';
import { recordColumns } from './columns.ts';

/** The daily report of one branch: one row per branch and date. */
export const reports = pgTable(
  'reports',
  {
    ...recordColumns(),
    branchId: uuid('branch_id')
      .notNull()
      .references(() => branches.id),
    reportDate: date('report_date', { mode: 'string' }).notNull(),
    ordersCount: integer('orders_count').notNull().default(0),
    totalSalesCents: bigint('total_sales_cents', { mode: 'number' }).notNull().default(0),
    cashCents: bigint('cash_cents', { mode: 'number' }).notNull().default(0),
    notes: text('notes').notNull().default(''),
  },
  (t) => [
    unique('reports_branch_date_key').on(t.branchId, t.reportDate),
    check(
      'reports_amounts_non_negative',
      sql`${t.ordersCount} >= 0 AND ${t.totalSalesCents} >= 0 AND ${t.cashCents} >= 0`,
    ),
    index('reports_report_date_branch_id_idx').on(t.reportDate, t.branchId),
    index('reports_updated_at_id_idx').on(t.updatedAt, t.id),
  ],
);
