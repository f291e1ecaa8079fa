import {
  type Client,
  type ClientCreate,
  type ClientUpdate,
  clientCreateSchema,
  clientUpdateSchema,
} from '@dynapharm/types';
import { clients } from '../schema/clients.ts';
import type { Executor } from '../transaction.ts';
import { createResourceRepository, type ResourceRepository } from './resource-repository.ts';

export type ClientRepository = ResourceRepository<Client, ClientCreate, ClientUpdate>;

export function createClientRepository(db: Executor): ClientRepository {
  return createResourceRepository(db, {
    resource: 'clients',
    table: clients,
    createSchema: clientCreateSchema,
    updateSchema: clientUpdateSchema,
    toInsert: (input, id) => ({
      id,
      branchId: input.branchId,
      fullName: input.fullName,
      email: input.email,
      phone: input.phone,
      address: input.address,
      notes: input.notes,
    }),
  });
}
