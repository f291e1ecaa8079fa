import type { z } from 'zod';
import { branchCreateSchema, branchSchema, branchUpdateSchema } from './branches.ts';
import { clientCreateSchema, clientSchema, clientUpdateSchema } from './clients.ts';
import { employeeCreateSchema, employeeSchema, employeeUpdateSchema } from './employees.ts';
import { orderCreateSchema, orderSchema, orderUpdateSchema } from './orders.ts';
import { productCreateSchema, productSchema, productUpdateSchema } from './products.ts';
import { reportCreateSchema, reportSchema, reportUpdateSchema } from './reports.ts';
import { stockCreateSchema, stockSchema, stockUpdateSchema } from './stock.ts';

export * from './branches.ts';
export * from './clients.ts';
export * from './employees.ts';
export * from './orders.ts';
export * from './products.ts';
export * from './reports.ts';
export * from './stock.ts';

/** Every synchronised resource, in the order the console shows them. */
export const resourceNames = [
  'branches',
  'clients',
  'products',
  'stock',
  'orders',
  'reports',
  'employees',
] as const;
export type ResourceName = (typeof resourceNames)[number];

export function isResourceName(value: unknown): value is ResourceName {
  return typeof value === 'string' && (resourceNames as readonly string[]).includes(value);
}

/**
 * Resources whose rows belong to no branch: everybody may read them, only
 * admins write them, and their single channel is the resource name.
 */
export const globalResources: ReadonlySet<ResourceName> = new Set(['products']);

interface ResourceSchemas {
  read: z.ZodType;
  create: z.ZodType;
  update: z.ZodType;
}

/** The zod schemas of each resource: the single definition API, gateway and clients share. */
export const resourceSchemas = {
  branches: { read: branchSchema, create: branchCreateSchema, update: branchUpdateSchema },
  clients: { read: clientSchema, create: clientCreateSchema, update: clientUpdateSchema },
  products: { read: productSchema, create: productCreateSchema, update: productUpdateSchema },
  stock: { read: stockSchema, create: stockCreateSchema, update: stockUpdateSchema },
  orders: { read: orderSchema, create: orderCreateSchema, update: orderUpdateSchema },
  reports: { read: reportSchema, create: reportCreateSchema, update: reportUpdateSchema },
  employees: { read: employeeSchema, create: employeeCreateSchema, update: employeeUpdateSchema },
} as const satisfies Record<ResourceName, ResourceSchemas>;

export type ResourceRecord<R extends ResourceName> = z.infer<(typeof resourceSchemas)[R]['read']>;
