import { z } from 'zod';
import { id, recordColumns } from '../common.ts';

const quantity = z.int().min(0).max(10_000_000);

/** Stock of one product in one branch. `reserved` is held by confirmed-but-unfulfilled orders. */
export const stockSchema = z.object({
  ...recordColumns,
  branchId: id,
  productId: id,
  quantity,
  reserved: quantity,
  reorderLevel: quantity,
});
export const stockCreateSchema = z.strictObject({
  id: id.optional(),
  branchId: id,
  productId: id,
  quantity,
  reorderLevel: quantity.default(0),
});
/** Stock counts are set directly (a stock take); reservations move only through orders. */
export const stockUpdateSchema = z.strictObject({ quantity, reorderLevel: quantity }).partial();

export type Stock = z.infer<typeof stockSchema>;
export type StockCreate = z.input<typeof stockCreateSchema>;
export type StockUpdate = z.infer<typeof stockUpdateSchema>;
