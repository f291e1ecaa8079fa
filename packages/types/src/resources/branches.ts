import { z } from 'zod';
import { id, recordColumns, text } from '../common.ts';

const fields = {
  code: z
    .string()
    .trim()
    .regex(/^[A-Z0-9-]{2,16}$/, 'uppercase letters, digits and dashes, 2-16 characters'),
  name: text(120),
  city: text(120),
  address: z.string().max(300).default(''),
  phone: z.string().max(40).default(''),
  active: z.boolean().default(true),
};

/** A branch: its own id is its branch id. */
export const branchSchema = z.object({ ...recordColumns, ...fields });
export const branchCreateSchema = z.strictObject({ id: id.optional(), ...fields });
export const branchUpdateSchema = z
  .strictObject({
    code: fields.code,
    name: fields.name,
    city: fields.city,
    address: z.string().max(300),
    phone: z.string().max(40),
    active: z.boolean(),
  })
  .partial();

export type Branch = z.infer<typeof branchSchema>;
export type BranchCreate = z.input<typeof branchCreateSchema>;
export type BranchUpdate = z.infer<typeof branchUpdateSchema>;
