import { z } from 'zod';
import { cents, id, note, recordColumns, text } from '../common.ts';

const editable = {
  sku: z
    .string()
    .trim()
    .regex(/^[A-Z0-9-]{3,32}$/, 'uppercase letters, digits and dashes, 3-32 characters'),
  name: text(160),
  description: note(),
  category: text(80),
  unitPriceCents: cents,
  requiresPrescription: z.boolean(),
  active: z.boolean(),
};

/** A catalogue product, shared by every branch (`branchId` is null). */
export const productSchema = z.object({ ...recordColumns, branchId: z.null(), ...editable });
export const productCreateSchema = z.strictObject({
  id: id.optional(),
  sku: editable.sku,
  name: editable.name,
  description: editable.description.default(''),
  category: editable.category,
  unitPriceCents: editable.unitPriceCents,
  requiresPrescription: editable.requiresPrescription.default(false),
  active: editable.active.default(true),
});
export const productUpdateSchema = z.strictObject(editable).partial();

export type Product = z.infer<typeof productSchema>;
export type ProductCreate = z.input<typeof productCreateSchema>;
export type ProductUpdate = z.infer<typeof productUpdateSchema>;
