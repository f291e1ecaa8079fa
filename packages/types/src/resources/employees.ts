import { z } from 'zod';
import { id, recordColumns, text } from '../common.ts';

export const employeePositions = [
  'pharmacist',
  'cashier',
  'storekeeper',
  'driver',
  'manager',
] as const;

const editable = {
  fullName: text(160),
  email: z.email().max(254),
  phone: z.string().max(40),
  position: z.enum(employeePositions),
  active: z.boolean(),
};

export const employeeSchema = z.object({ ...recordColumns, branchId: id, ...editable });
export const employeeCreateSchema = z.strictObject({
  id: id.optional(),
  branchId: id,
  fullName: editable.fullName,
  email: editable.email,
  phone: editable.phone.default(''),
  position: editable.position,
  active: editable.active.default(true),
});
export const employeeUpdateSchema = z.strictObject(editable).partial();

export type Employee = z.infer<typeof employeeSchema>;
export type EmployeeCreate = z.input<typeof employeeCreateSchema>;
export type EmployeeUpdate = z.infer<typeof employeeUpdateSchema>;
