import { z } from 'zod';
import { id, note, recordColumns, text } from '../common.ts';

const phone = z
  .string()
  .trim()
  .regex(/^\+?[0-9 ()-]{6,20}$/, 'digits, spaces, dashes or parentheses, optional leading +');

const editable = {
  fullName: text(160),
  email: z.email().max(254).nullable(),
  phone: phone.nullable(),
  address: z.string().max(300),
  notes: note(),
};

/** A customer of a branch. */
export const clientSchema = z.object({ ...recordColumns, branchId: id, ...editable });
export const clientCreateSchema = z.strictObject({
  id: id.optional(),
  branchId: id,
  fullName: editable.fullName,
  email: editable.email.default(null),
  phone: editable.phone.default(null),
  address: editable.address.default(''),
  notes: editable.notes.default(''),
});
export const clientUpdateSchema = z.strictObject(editable).partial();

export type Client = z.infer<typeof clientSchema>;
export type ClientCreate = z.input<typeof clientCreateSchema>;
export type ClientUpdate = z.infer<typeof clientUpdateSchema>;
