import { z } from 'zod';
import { cents, id, note, recordColumns } from '../common.ts';

export const orderStatuses = ['pending', 'confirmed', 'fulfilled', 'cancelled'] as const;
export const orderStatus = z.enum(orderStatuses);
export type OrderStatus = z.infer<typeof orderStatus>;

/** Allowed status moves; anything else is refused. */
export const orderTransitions: Record<OrderStatus, readonly OrderStatus[]> = {
  pending: ['confirmed', 'cancelled'],
  confirmed: ['fulfilled', 'cancelled'],
  fulfilled: [],
  cancelled: [],
};

export const orderItemSchema = z.object({
  id,
  productId: id,
  quantity: z.int().min(1),
  unitPriceCents: cents,
});
export type OrderItem = z.infer<typeof orderItemSchema>;

export const orderSchema = z.object({
  ...recordColumns,
  branchId: id,
  clientId: id,
  status: orderStatus,
  totalCents: cents,
  notes: z.string(),
  items: z.array(orderItemSchema),
});

export const orderCreateSchema = z.strictObject({
  id: id.optional(),
  branchId: id,
  clientId: id,
  notes: note().default(''),
  items: z
    .array(
      z.strictObject({
        productId: id,
        quantity: z.int().min(1).max(100_000),
      }),
    )
    .min(1)
    .max(200)
    .refine(
      (items) => new Set(items.map((i) => i.productId)).size === items.length,
      'each product may appear once',
    ),
});

/** Orders change by status (validated against `orderTransitions`) and notes. */
export const orderUpdateSchema = z.strictObject({ status: orderStatus, notes: note() }).partial();

export type Order = z.infer<typeof orderSchema>;
export type OrderCreate = z.input<typeof orderCreateSchema>;
export type OrderUpdate = z.infer<typeof orderUpdateSchema>;
