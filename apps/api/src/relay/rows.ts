import type { ChangeEvent } from '@dynapharm/types';

/** A `sync_log` row as the relay and the catch-up endpoint read it. */
export interface SyncLogRow {
  offset: string;
  resource: ChangeEvent['resource'];
  action: ChangeEvent['action'];
  record_id: string;
  branch_id: string | null;
  version: number;
  data: Record<string, unknown>;
  origin: string | null;
  changed_at: Date;
}

export const SYNC_LOG_COLUMNS = `"offset", resource, action, record_id, branch_id, version, data, origin, changed_at`;

export function toChangeEvent(row: SyncLogRow): ChangeEvent {
  const event: ChangeEvent = {
    resource: row.resource,
    action: row.action,
    id: row.record_id,
    branchId: row.branch_id,
    version: row.version,
    offset: Number(row.offset),
    at: row.changed_at.toISOString(),
    data: row.data,
  };
  if (row.origin) event.origin = row.origin;
  return event;
}
