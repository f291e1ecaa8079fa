import {
  type Employee,
  type EmployeeCreate,
  type EmployeeUpdate,
  employeeCreateSchema,
  employeeUpdateSchema,
} from '@dynapharm/types';
import { employees } from '../schema/employees.ts';
import type { Executor } from '../transaction.ts';
import { createResourceRepository, type ResourceRepository } from './resource-repository.ts';

export type EmployeeRepository = ResourceRepository<Employee, EmployeeCreate, EmployeeUpdate>;

export function createEmployeeRepository(db: Executor): EmployeeRepository {
  return createResourceRepository(db, {
    resource: 'employees',
    table: employees,
    createSchema: employeeCreateSchema,
    updateSchema: employeeUpdateSchema,
    toInsert: (input, id) => ({
      id,
      branchId: input.branchId,
      fullName: input.fullName,
      email: input.email,
      phone: input.phone,
      position: input.position,
      active: input.active,
    }),
  });
}
