import type { ChangesPage, ResourceName } from '@dynapharm/types';
import { and, asc, eq, gt, inArray, isNull, lte, or, type SQL } from 'drizzle-orm';
import type { NodePgDatabase } from 'drizzle-orm/node-postgres';
import { changeColumns, type PositionedRow, toChangeEvent } from './change-event.ts';
import { relayState, syncLog } from './schema.ts';

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
  const filters: (SQL | undefined)[] = [
    gt(syncLog.offset, after ?? Number.MAX_SAFE_INTEGER),
    lte(syncLog.offset, relayState.head),
  ];
  if (scope !== 'all') {
    filters.push(or(isNull(syncLog.branchId), inArray(syncLog.branchId, [...scope])));
  }
  if (resources && resources.length > 0) filters.push(inArray(syncLog.resource, [...resources]));

  // The state row drives the join, so a quiet stream still answers with it.
  const rows = await db
    .select({
      epoch: relayState.epoch,
      head: relayState.head,
      trimmed: relayState.trimmed,
      ...changeColumns,
    })
    .from(relayState)
    .leftJoin(syncLog, and(...filters))
    .where(eq(relayState.id, 1))
    .orderBy(asc(syncLog.offset))
    .limit(limit + 1);

  const state = rows[0];
  if (!state) throw new Error('relay_state has no row: the database is not migrated');
  const { epoch, head, trimmed } = state;
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
  const positioned = rows.filter((r): r is typeof r & PositionedRow => r.offset !== null);
  const hasMore = positioned.length > limit;
  const changes = positioned.slice(0, limit).map((row) => toChangeEvent(row, epoch));
  const nextAfter = hasMore ? (changes.at(-1)?.offset ?? after) : head;
  return { ...base, hasMore, nextAfter, changes };
}
