import type { Executor } from '../transaction.ts';
import { createBranchRepository } from './branches.ts';
import { createClientRepository } from './clients.ts';
import { createEmployeeRepository } from './employees.ts';
import { createOrderRepository } from './orders.ts';
import { createProductRepository } from './products.ts';
import { createReportRepository } from './reports.ts';
import { createStockRepository } from './stock.ts';

/**
 * Every resource repository bound to `db` (a database or a transaction), keyed
 * by resource name so callers can dispatch on `ResourceName`.
 */
export function createRepositories(db: Executor) {
  return {
    branches: createBranchRepository(db),
    clients: createClientRepository(db),
    products: createProductRepository(db),
    stock: createStockRepository(db),
    orders: createOrderRepository(db),
    reports: createReportRepository(db),
    employees: createEmployeeRepository(db),
  };
}

export type Repositories = ReturnType<typeof createRepositories>;
