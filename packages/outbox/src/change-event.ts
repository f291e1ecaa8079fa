import type { ChangeEvent } from '@dynapharm/types';
import { syncLog } from './schema.ts';

/** The `sync_log` columns a change event is made of. */
export const changeColumns = {
  offset: syncLog.offset,
  resource: syncLog.resource,
  action: syncLog.action,
  recordId: syncLog.recordId,
  branchId: syncLog.branchId,
  version: syncLog.version,
  data: syncLog.data,
  origin: syncLog.origin,
  changedAt: syncLog.changedAt,
};

/** A `sync_log` row that has been given its offset. */
export interface PositionedRow {
  offset: number;
  resource: ChangeEvent['resource'];
  action: ChangeEvent['action'];
  recordId: string;
  branchId: string | null;
  version: number;
  data: Record<string, unknown>;
  origin: string | null;
  changedAt: Date;
}

/** The wire form of a logged change, in the stream of `epoch`. */
export function toChangeEvent(row: PositionedRow, epoch: string): ChangeEvent {
  const event: ChangeEvent = {
    resource: row.resource,
    action: row.action,
    id: row.recordId,
    branchId: row.branchId,
    version: row.version,
    offset: row.offset,
    epoch,
    at: row.changedAt.toISOString(),
    data: row.data,
  };
  if (row.origin) event.origin = row.origin;
  return event;
}
