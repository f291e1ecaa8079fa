import {
  type Stock,
  type StockCreate,
  type StockUpdate,
  stockCreateSchema,
  stockUpdateSchema,
} from '@dynapharm/types';
import { sql } from 'drizzle-orm';
import { ConflictError } from '../errors.ts';
import { stock } from '../schema/stock.ts';
import type { Executor } from '../transaction.ts';
import { createResourceRepository, type ResourceRepository } from './resource-repository.ts';

export type StockRepository = ResourceRepository<Stock, StockCreate, StockUpdate>;

/**
 * Stock rows. `quantity` is set directly (a stock take) and may not drop below
 * `reserved` (`BadRequestError`); `reserved` moves only through orders.
 */
export function createStockRepository(db: Executor): StockRepository {
  return createResourceRepository(db, {
    resource: 'stock',
    table: stock,
    createSchema: stockCreateSchema,
    updateSchema: stockUpdateSchema,
    toInsert: (input, id) => ({
      id,
      branchId: input.branchId,
      productId: input.productId,
      quantity: input.quantity,
      reorderLevel: input.reorderLevel,
    }),
    removable: {
      condition: sql`${stock.reserved} = 0`,
      explain(record) {
        if (record.reserved > 0) {
          throw new ConflictError('stock with open reservations cannot be deleted', {
            reserved: record.reserved,
          });
        }
      },
    },
  });
}
