import {
  type Branch,
  type BranchCreate,
  type BranchUpdate,
  branchCreateSchema,
  branchUpdateSchema,
} from '@dynapharm/types';
import { branches } from '../schema/branches.ts';
import type { Executor } from '../transaction.ts';
import { createResourceRepository, type ResourceRepository } from './resource-repository.ts';

export type BranchRepository = ResourceRepository<Branch, BranchCreate, BranchUpdate>;

/** Branches: a branch's `branchId` is its own id, so a branch user sees its own branch. */
export function createBranchRepository(db: Executor): BranchRepository {
  return createResourceRepository(db, {
    resource: 'branches',
    table: branches,
    createSchema: branchCreateSchema,
    updateSchema: branchUpdateSchema,
    toInsert: (input, id) => ({
      id,
      branchId: id,
      code: input.code,
      name: input.name,
      city: input.city,
      address: input.address,
      phone: input.phone,
      active: input.active,
    }),
  });
}
