import { z } from 'zod';
import { cents, id, isoDate, note, recordColumns } from '../common.ts';

const count = z.int().min(0).max(10_000_000);

/** Daily report of one branch (one per branch and date). */
export const reportSchema = z.object({
  ...recordColumns,
  branchId: id,
  reportDate: isoDate,
  ordersCount: count,
  totalSalesCents: cents,
  cashCents: cents,
  notes: z.string(),
});
export const reportCreateSchema = z.strictObject({
  id: id.optional(),
  branchId: id,
  reportDate: isoDate,
  ordersCount: count.default(0),
  totalSalesCents: cents.default(0),
  cashCents: cents.default(0),
  notes: note().default(''),
});
export const reportUpdateSchema = z
  .strictObject({ ordersCount: count, totalSalesCents: cents, cashCents: cents, notes: note() })
  .partial();

export type Report = z.infer<typeof reportSchema>;
export type ReportCreate = z.input<typeof reportCreateSchema>;
export type ReportUpdate = z.infer<typeof reportUpdateSchema>;
