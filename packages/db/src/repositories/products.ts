import {
  type Product,
  type ProductCreate,
  type ProductUpdate,
  productCreateSchema,
  productUpdateSchema,
} from '@dynapharm/types';
import { products } from '../schema/products.ts';
import type { Executor } from '../transaction.ts';
import { createResourceRepository, type ResourceRepository } from './resource-repository.ts';

export type ProductRepository = ResourceRepository<Product, ProductCreate, ProductUpdate>;

/** The global catalogue: every scope reads it, only scope `'all'` writes it. */
export function createProductRepository(db: Executor): ProductRepository {
  return createResourceRepository(db, {
    resource: 'products',
    table: products,
    createSchema: productCreateSchema,
    updateSchema: productUpdateSchema,
    toInsert: (input, id) => ({
      id,
      branchId: null,
      sku: input.sku,
      name: input.name,
      description: input.description,
      category: input.category,
      unitPriceCents: input.unitPriceCents,
      requiresPrescription: input.requiresPrescription,
      active: input.active,
    }),
  });
}
