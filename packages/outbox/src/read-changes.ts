import type { ChangesPage, ResourceName } from '@dynapharm/types';
import { type SQL, sql } from 'drizzle-orm';
import type { NodePgDatabase } from 'drizzle-orm/node-postgres';
import { type PositionedRow, toChangeEvent } from './change-event.ts';

/** Any Drizzle database on node-postgres (the API's, whatever its schema). */
// biome-ignore lint/suspicious/noExplicitAny: accepts a database of any schema
export type OutboxDatabase = NodePgDatabase<any>;

export interface ReadChangesQuery {
  /** Offset the caller has applied; absent: only report where the stream stands. */
  after?: number;
  /** Epoch the caller's offset belongs to; another epoch answers `resync`. */
  epoch?: string;
  /** Branches the caller may see: `'all'` or a list (global rows are always visible). */
  scope: 'all' | readonly string[];
  /** Only these resources. @default all */
  resources?: readonly ResourceName[];
  /** Page size. @default 500 */
  limit?: number;
}

/** A row as node-postgres returns it: bigints and timestamps as strings, change columns null without a change. */
type RawRow = Record<string, unknown> & {
  epoch: string;
  head: string;
  trimmed: string;
  offset: string | null;
} & Omit<PositionedRow, 'offset' | 'changedAt'> & { changedAt: string };

const columns = sql.raw(`"offset", resource, action, record_id AS "recordId",
  branch_id AS "branchId", version, data, origin, changed_at AS "changedAt"`);

/**
 * Up to `n` changes after `after` up to the head of `s` (the `relay_state`
 * row), in offset order. A branch scope reads each branch, and the global rows,
 * as its own range of `sync_log_branch_offset_idx`: one scan with
 * `branch_id IS NULL OR branch_id = ANY(...)` cannot use that index in offset
 * order and walks the whole retained log for a quiet branch.
 */
function changesAfter(
  after: number | undefined,
  scope: 'all' | readonly string[],
  resources: readonly ResourceName[] | undefined,
  n: number,
): SQL {
  const conditions = [sql`"offset" > ${after ?? Number.MAX_SAFE_INTEGER}`, sql`"offset" <= s.head`];
  if (resources && resources.length > 0) {
    conditions.push(sql`resource = ANY(${sql.param([...resources])}::text[])`);
  }
  const range = (branch?: SQL) =>
    sql`(SELECT ${columns} FROM sync_log
          WHERE ${sql.join(branch ? [branch, ...conditions] : conditions, sql` AND `)}
          ORDER BY "offset" LIMIT ${n})`;
  if (scope === 'all') return range();
  const ranges = [
    range(sql`branch_id IS NULL`),
    ...[...new Set(scope)].map((id) => range(sql`branch_id = ${id}::uuid`)),
  ];
  return sql`${sql.join(ranges, sql` UNION ALL `)} ORDER BY "offset" LIMIT ${n}`;
}

function toPositioned(row: RawRow & { offset: string }): PositionedRow {
  return {
    offset: Number(row.offset),
    resource: row.resource,
    action: row.action,
    recordId: row.recordId,
    branchId: row.branchId,
    version: row.version,
    data: row.data,
    origin: row.origin,
    // What Drizzle does for a timestamptz string.
    changedAt: new Date(row.changedAt),
  };
}

/**
 * The caller's changes after an offset, in offset order, with the stream's
 * epoch and head. Rows and stream state come from one statement, so one
 * snapshot: a trim or an epoch change can never fall between them.
 *
 * `resync` is set when `after` was trimmed by retention, lies beyond the head,
 * or belongs to another epoch: the caller must reload its snapshot.
 *
 * @example
 * const page = await readChanges(db, { after: 120, epoch, scope: ['<branch uuid>'] });
 */
export async function readChanges(
  db: OutboxDatabase,
  query: ReadChangesQuery,
): Promise<ChangesPage> {
  const { after, scope, resources } = query;
  const limit = query.limit ?? 500;
  const { rows } = await db.execute<RawRow>(sql`
    SELECT s.epoch, s.head, s.trimmed, c.*
      FROM relay_state s
      LEFT JOIN LATERAL (${changesAfter(after, scope, resources, limit + 1)}) c ON true
     WHERE s.id = 1
     ORDER BY c."offset"
     LIMIT ${limit + 1}`);

  const state = rows[0];
  if (!state) throw new Error('relay_state has no row: the database is not migrated');
  const { epoch } = state;
  const head = Number(state.head);
  const trimmed = Number(state.trimmed);
  const base = {
    epoch,
    head,
    after: after ?? null,
    resync: false,
    hasMore: false,
    nextAfter: head,
  };
  if (after === undefined) return { ...base, changes: [] };
  if ((query.epoch !== undefined && query.epoch !== epoch) || after < trimmed || after > head) {
    return { ...base, resync: true, changes: [] };
  }
  const positioned = rows.flatMap((r) =>
    r.offset === null ? [] : [toPositioned(r as RawRow & { offset: string })],
  );
  const hasMore = positioned.length > limit;
  const changes = positioned.slice(0, limit).map((row) => toChangeEvent(row, epoch));
  const nextAfter = hasMore ? (changes.at(-1)?.offset ?? after) : head;
  return { ...base, hasMore, nextAfter, changes };
}
