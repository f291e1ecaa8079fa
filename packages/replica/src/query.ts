import type { FieldRange } from './store.ts';

/** What a list asks the replica for. */
export interface ReplicaQuery<T = Record<string, unknown>> {
  /** Rows of one branch (`undefined`: every branch in scope). Global rows (products) have none. */
  branchId?: string;
  /**
   * Field conditions: a value means equality, `{ from, to }` an inclusive
   * range (ISO dates compare as strings). The resource's indexed field
   * (`status` of orders, `reportDate` of reports) is answered by an index.
   */
  where?: Record<string, string | FieldRange | undefined>;
  /** Any further predicate. */
  filter?: (row: T) => boolean;
  /** @default `{ by: 'updatedAt', dir: 'desc' }` (ties by id) */
  sort?: { by: string; dir?: 'asc' | 'desc' };
  /** Rows to skip (paging). @default 0 */
  offset?: number;
  /** Rows per page. @default all */
  limit?: number;
}

export interface QueryResult<T> {
  items: T[];
  /** Rows matching the query before paging. */
  total: number;
}

function matches(value: unknown, cond: string | FieldRange): boolean {
  const v = value === null || value === undefined ? '' : String(value);
  if (typeof cond === 'string') return v === cond;
  if (cond.equals !== undefined && v !== cond.equals) return false;
  if (cond.from !== undefined && v < cond.from) return false;
  if (cond.to !== undefined && v > cond.to) return false;
  return true;
}

function compare(a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const x = a === null || a === undefined ? '' : String(a);
  const y = b === null || b === undefined ? '' : String(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Filters, sorts and pages records in memory (after the index has narrowed them). */
export function runQuery<T extends Record<string, unknown>>(
  records: T[],
  query: ReplicaQuery<T>,
): QueryResult<T> {
  const where = Object.entries(query.where ?? {}).filter(
    (e): e is [string, string | FieldRange] => e[1] !== undefined && e[1] !== '',
  );
  const kept = records.filter(
    (r) => where.every(([k, c]) => matches(r[k], c)) && (!query.filter || query.filter(r)),
  );
  const by = query.sort?.by ?? 'updatedAt';
  const sign = (query.sort?.dir ?? 'desc') === 'desc' ? -1 : 1;
  kept.sort((a, b) => sign * (compare(a[by], b[by]) || compare(a.id, b.id)));
  const offset = query.offset ?? 0;
  const items =
    query.limit === undefined ? kept.slice(offset) : kept.slice(offset, offset + query.limit);
  return { items, total: kept.length };
}
