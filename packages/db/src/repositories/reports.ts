import {
  type Report,
  type ReportCreate,
  type ReportUpdate,
  reportCreateSchema,
  reportUpdateSchema,
} from '@dynapharm/types';
import { reports } from '../schema/reports.ts';
import type { Executor } from '../transaction.ts';
import { createResourceRepository, type ResourceRepository } from './resource-repository.ts';

export type ReportRepository = ResourceRepository<Report, ReportCreate, ReportUpdate>;

/** Daily branch reports; `from`/`to` filter on `reportDate`. */
export function createReportRepository(db: Executor): ReportRepository {
  return createResourceRepository(db, {
    resource: 'reports',
    table: reports,
    createSchema: reportCreateSchema,
    updateSchema: reportUpdateSchema,
    listColumns: { date: reports.reportDate },
    toInsert: (input, id) => ({
      id,
      branchId: input.branchId,
      reportDate: input.reportDate,
      ordersCount: input.ordersCount,
      totalSalesCents: input.totalSalesCents,
      cashCents: input.cashCents,
      notes: input.notes,
    }),
  });
}
