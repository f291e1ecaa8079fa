import { and, asc, eq, gte, inArray, isNull, lte, or, type SQL, sql } from 'drizzle-orm';
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core';
import type { z } from 'zod';
import { decodeCursor, encodeCursor } from '../cursor.ts';
import { BadRequestError, ForbiddenError, NotFoundError } from '../errors.ts';
import { canRead, canWrite, type Scope } from '../scope.ts';
import type { ChangeContext, Executor } from '../transaction.ts';
import type { IdempotencyClaim } from './write.ts';

/** A table with the versioned record columns (every resource table). */
export type VersionedTable = PgTable & {
  id: PgColumn;
  branchId: PgColumn;
  createdAt: PgColumn;
  updatedAt: PgColumn;
  version: PgColumn;
  deletedAt: PgColumn;
};

/** The fields every record has in the API shape. */
export interface ApiRecord {
  id: string;
  branchId: string | null;
  updatedAt: string;
  version: number;
  deletedAt: string | null;
}

/** Context of a write: the caller's scope plus what `sync_log` records. */
export interface WriteContext extends ChangeContext {
  /** Branches the caller may write; rows outside are not found (or forbidden if visible). */
  scope: Scope;
  /** The request's `Idempotency-Key`, stored with the answer in the write's statement. */
  idempotency?: IdempotencyClaim;
}

/** Filters and paging of a list call. */
export interface ListQuery {
  /** Branches the caller may see (deny by default: other rows are simply absent). */
  scope: Scope;
  /** Only rows of this branch. */
  branchId?: string;
  /** Only rows with this status (orders only; a bad request elsewhere). */
  status?: string;
  /**
   * Inclusive `YYYY-MM-DD` bounds: on `report_date` for reports, on the UTC date
   * of `created_at` for everything else.
   */
  from?: string;
  to?: string;
  /** Only rows with `updated_at >= updatedSince` (ISO-8601; inclusive so none is missed). */
  updatedSince?: string;
  /** Include soft-deleted rows (tombstones), e.g. for incremental sync. @default false */
  includeDeleted?: boolean;
  /** `nextCursor` of the previous page. */
  cursor?: string;
  /** Page size, 1–500. @default 50 */
  limit?: number;
}

/** One page of a list, in `(updatedAt, id)` order; `nextCursor` is null on the last page. */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** Result of a create: `created` is false when the id existed with the same content. */
export interface CreateResult<T> {
  record: T;
  created: boolean;
}

export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 500;

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const datePattern = /^\d{4}-\d{2}-\d{2}$/;

export function isUuid(value: string): boolean {
  return uuidPattern.test(value);
}

/** Parses input with a resource schema; failures become `BadRequestError` naming the fields. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input);
  if (!result.success) {
    throw new BadRequestError(
      'invalid input',
      result.error.issues.map((issue) => ({
        path: issue.path.map(String).join('.') || '(body)',
        message: issue.message,
      })),
    );
  }
  return result.data;
}

function parseDate(name: string, value: string): string {
  if (!datePattern.test(value) || Number.isNaN(Date.parse(`${value}T00:00:00Z`))) {
    throw new BadRequestError(`${name} must be a YYYY-MM-DD date`, { field: name });
  }
  return value;
}

/** Filter columns a resource supports beyond the common ones. */
export interface ListColumns {
  status?: PgColumn;
  /** A `date` column used for `from`/`to` instead of `created_at`. */
  date?: PgColumn;
}

/** SQL condition: row visible in scope. */
export function scopeCondition(table: VersionedTable, scope: Scope): SQL | undefined {
  if (scope === 'all') return undefined;
  return or(isNull(table.branchId), inArray(table.branchId, [...scope]));
}

/**
 * Lists rows with cursor paging over `(updated_at, id)`, which the
 * `<table>_updated_at_id_idx` indexes serve.
 */
export async function listRows<R extends ApiRecord>(
  db: Executor,
  table: VersionedTable,
  query: ListQuery,
  columns: ListColumns = {},
  record: SQL = recordJson(table),
): Promise<{ rows: R[]; nextCursor: string | null }> {
  const limit = query.limit ?? DEFAULT_LIMIT;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
    throw new BadRequestError(`limit must be an integer between 1 and ${MAX_LIMIT}`, {
      field: 'limit',
    });
  }
  const conditions: (SQL | undefined)[] = [scopeCondition(table, query.scope)];
  if (query.branchId !== undefined) {
    if (!isUuid(query.branchId)) {
      throw new BadRequestError('branchId must be a UUID', { field: 'branchId' });
    }
    conditions.push(eq(table.branchId, query.branchId));
  }
  if (query.status !== undefined) {
    if (!columns.status) throw new BadRequestError('status filter not supported', {});
    conditions.push(eq(columns.status, query.status));
  }
  if (query.from !== undefined) {
    const from = parseDate('from', query.from);
    conditions.push(
      columns.date
        ? gte(columns.date, from)
        : sql`${table.createdAt} >= (${from}::date)::timestamp AT TIME ZONE 'UTC'`,
    );
  }
  if (query.to !== undefined) {
    const to = parseDate('to', query.to);
    conditions.push(
      columns.date
        ? lte(columns.date, to)
        : sql`${table.createdAt} < (${to}::date + 1)::timestamp AT TIME ZONE 'UTC'`,
    );
  }
  if (query.updatedSince !== undefined) {
    const since = new Date(query.updatedSince);
    if (Number.isNaN(since.getTime())) {
      throw new BadRequestError('updatedSince must be an ISO-8601 timestamp', {
        field: 'updatedSince',
      });
    }
    conditions.push(sql`${table.updatedAt} >= ${since.toISOString()}::timestamptz`);
  }
  if (!query.includeDeleted) conditions.push(isNull(table.deletedAt));
  if (query.cursor !== undefined) {
    const after = decodeCursor(query.cursor);
    conditions.push(
      sql`(${table.updatedAt}, ${table.id}) > (${after.updatedAt.toISOString()}::timestamptz, ${after.id}::uuid)`,
    );
  }
  const rows = await db
    .select({ record: sql<R>`${record}` })
    .from(table)
    .where(and(...conditions))
    .orderBy(asc(table.updatedAt), asc(table.id))
    .limit(limit + 1);
  const page = rows.slice(0, limit).map((row) => row.record);
  const last = page.at(-1);
  const nextCursor =
    rows.length > limit && last
      ? encodeCursor({ updatedAt: new Date(last.updatedAt), id: last.id })
      : null;
  return { rows: page, nextCursor };
}

/** Reads one record visible in `scope`, or throws `NotFoundError`. */
export async function findRow<R extends ApiRecord>(
  db: Executor,
  table: VersionedTable,
  resource: string,
  id: string,
  scope: Scope,
  options: { includeDeleted?: boolean; record?: SQL } = {},
): Promise<R> {
  if (!isUuid(id)) throw new NotFoundError(resource, id);
  const [row] = await db
    .select({ record: sql<R>`${options.record ?? recordJson(table)}` })
    .from(table)
    .where(eq(table.id, id));
  const found = row?.record;
  if (!found || !canRead(scope, found.branchId) || (found.deletedAt && !options.includeDeleted)) {
    throw new NotFoundError(resource, id);
  }
  return found;
}

export function assertWritable(scope: Scope, branchId: string | null, resource: string): void {
  if (!canWrite(scope, branchId)) {
    throw new ForbiddenError(
      branchId === null
        ? `${resource} are global: only admins may change them`
        : `no write access to branch ${branchId}`,
      { branchId },
    );
  }
}

/**
 * A row of `table` in the API shape, built by `dynapharm_api_json`, the function
 * the change trigger uses for `sync_log.data`: reads, writes and the change log
 * share one shape.
 */
export function recordJson(table: VersionedTable): SQL {
  return sql`dynapharm_api_json(to_jsonb(${table}))`;
}

/** SQL condition: a row of branch `branchId` may be written in `scope` (see `canWrite`). */
export function writableSql(scope: Scope, branchId: SQL | PgColumn): SQL {
  if (scope === 'all') return sql`true`;
  // A jsonb array answers `?` for a text element; NULL (a global row) is never writable.
  return sql`(${JSON.stringify(scope)}::jsonb ? (${branchId})::text)`;
}
