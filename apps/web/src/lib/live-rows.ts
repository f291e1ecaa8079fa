import type { ChangeEvent } from '@dynapharm/types';

/** What a list row needs for live merging. */
export interface VersionedRow {
  id: string;
  version: number;
  branchId?: string | null;
  deletedAt?: string | null;
}

/** Which rows the list shows: `branchId` (absent: every branch) and an extra predicate. */
export interface RowFilter<T> {
  branchId?: string;
  matches?: (row: T) => boolean;
}

export interface LiveApplyResult<T> {
  rows: T[];
  /** Whether the list changed (to highlight the row). */
  changed: boolean;
}

/**
 * Applies a live change to the rows of a list page: a newer version replaces
 * the row, a delete (or a soft-deleted row) removes it, a created row that
 * fits the filter goes on top. Older or equal versions change nothing, so a
 * replayed or late event is harmless.
 */
export function applyLiveChange<T extends VersionedRow>(
  rows: readonly T[],
  event: Pick<ChangeEvent, 'action' | 'id' | 'version' | 'branchId' | 'data'>,
  filter: RowFilter<T> = {},
): LiveApplyResult<T> {
  const index = rows.findIndex((r) => r.id === event.id);
  const current = index === -1 ? undefined : rows[index];
  if (current && current.version >= event.version) return { rows: [...rows], changed: false };
  const next = { ...(current ?? {}), ...event.data, id: event.id, version: event.version } as T;
  const gone =
    event.action === 'deleted' ||
    (typeof next.deletedAt === 'string' && next.deletedAt !== '') ||
    (filter.branchId !== undefined &&
      event.branchId !== null &&
      event.branchId !== filter.branchId) ||
    (filter.matches !== undefined && !filter.matches(next));
  if (gone) {
    if (index === -1) return { rows: [...rows], changed: false };
    return { rows: rows.filter((_, i) => i !== index), changed: true };
  }
  if (index === -1) return { rows: [next, ...rows], changed: true };
  const copy = [...rows];
  copy[index] = next;
  return { rows: copy, changed: true };
}
