import { eq, sql } from 'drizzle-orm';
import type { z } from 'zod';
import { ConflictError, VersionConflictError } from '../errors.ts';
import { newId } from '../schema/columns.ts';
import type { Scope } from '../scope.ts';
import { type Executor, type Transaction, withTransaction } from '../transaction.ts';
import {
  assertWritable,
  type CreateResult,
  changedFields,
  findRow,
  type ListColumns,
  type ListQuery,
  listRows,
  lockForWrite,
  type Page,
  parseInput,
  type VersionedRow,
  type VersionedTable,
  type WriteContext,
} from './core.ts';
import { type ApiShape, sameValue, toApiRecord } from './mapping.ts';
import { rethrowAsDbError } from './pg-errors.ts';

/** The operations every resource repository offers. */
export interface ResourceRepository<TRecord, TCreate, TUpdate> {
  /** One page of rows visible in `query.scope`, ordered by `(updatedAt, id)`. */
  list(query: ListQuery): Promise<Page<TRecord>>;
  /** One row; `NotFoundError` when missing, outside `scope` or soft-deleted (unless asked). */
  get(id: string, scope: Scope, options?: { includeDeleted?: boolean }): Promise<TRecord>;
  /**
   * Creates a row. With a client-supplied `id` that already exists: same content →
   * `{ created: false }` (an idempotent replay), different content → `ConflictError`.
   */
  create(input: TCreate, ctx: WriteContext): Promise<CreateResult<TRecord>>;
  /**
   * Applies `patch` if the row is at `expectedVersion`, else `VersionConflictError`
   * carrying the current row. A patch that changes nothing returns the row unchanged
   * (no new version, no change event).
   */
  update(id: string, patch: TUpdate, expectedVersion: number, ctx: WriteContext): Promise<TRecord>;
  /**
   * Soft-deletes (a new version with `deletedAt`, logged as `deleted`). Removing an
   * already deleted row returns it unchanged. `expectedVersion` is checked when given.
   */
  remove(id: string, expectedVersion: number | undefined, ctx: WriteContext): Promise<TRecord>;
}

/** How one resource maps onto the generic repository. */
export interface ResourceDefinition<
  T extends VersionedTable,
  C extends z.ZodType,
  U extends z.ZodType,
> {
  resource: string;
  table: T;
  createSchema: C;
  updateSchema: U;
  /** Column values of a new row (id and branch id included). */
  toInsert(input: z.output<C>, id: string): T['$inferInsert'];
  listColumns?: ListColumns;
  /** Runs in the write transaction, on the locked row, before a soft delete. */
  beforeRemove?(tx: Transaction, row: T['$inferSelect']): Promise<void>;
}

type RowOf<T extends VersionedTable> = T['$inferSelect'] & VersionedRow;

/**
 * Builds the repository of a simple resource (everything except orders).
 * Every write runs in its own transaction (a savepoint inside `withTransaction`).
 */
export function createResourceRepository<
  T extends VersionedTable,
  C extends z.ZodType,
  U extends z.ZodType,
>(
  db: Executor,
  def: ResourceDefinition<T, C, U>,
): ResourceRepository<ApiShape<T['$inferSelect']>, z.input<C>, z.input<U>> {
  const { resource } = def;
  // Queries run on the erased table type: drizzle's generic row types do not
  // resolve for a type parameter; rows are typed again through RowOf<T>.
  const table: VersionedTable = def.table;
  const map = (row: T['$inferSelect']) => toApiRecord(row);

  return {
    async list(query) {
      const { rows, nextCursor } = await listRows<RowOf<T>>(db, table, query, def.listColumns);
      return { items: rows.map(map), nextCursor };
    },

    async get(id, scope, options = {}) {
      return map(await findRow<RowOf<T>>(db, table, resource, id, scope, options));
    },

    async create(input, ctx) {
      const parsed = parseInput(def.createSchema, input);
      const id = (parsed as { id?: string }).id ?? newId();
      const values = def.toInsert(parsed, id) as Record<string, unknown>;
      assertWritable(ctx.scope, (values.branchId as string | null | undefined) ?? null, resource);
      try {
        return await withTransaction(db, ctx, async (tx) => {
          const inserted = (await tx
            .insert(table)
            .values(values as never)
            .onConflictDoNothing({ target: table.id })
            .returning()) as unknown as RowOf<T>[];
          const row = inserted[0];
          if (row) return { record: map(row), created: true };
          const [existing] = (await tx
            .select()
            .from(table)
            .where(eq(table.id, id))) as unknown as RowOf<T>[];
          if (!existing || !sameContent(values, existing, ctx.scope)) {
            throw new ConflictError(`${resource} ${id} already exists with different content`, {
              id,
            });
          }
          return { record: map(existing), created: false };
        });
      } catch (error) {
        rethrowAsDbError(error);
      }
    },

    async update(id, patch, expectedVersion, ctx) {
      const parsed = parseInput(def.updateSchema, patch) as Record<string, unknown>;
      try {
        return await withTransaction(db, ctx, async (tx) => {
          const current = await lockForWrite<RowOf<T>>(tx, table, resource, id, ctx.scope);
          if (current.version !== expectedVersion) {
            throw new VersionConflictError(map(current), expectedVersion);
          }
          const changes = changedFields(parsed, current);
          if (Object.keys(changes).length === 0) return map(current);
          const [row] = (await tx
            .update(table)
            .set(changes as never)
            .where(eq(table.id, id))
            .returning()) as unknown as RowOf<T>[];
          return map(row ?? current);
        });
      } catch (error) {
        rethrowAsDbError(error);
      }
    },

    async remove(id, expectedVersion, ctx) {
      try {
        return await withTransaction(db, ctx, async (tx) => {
          const current = await lockForWrite<RowOf<T>>(tx, table, resource, id, ctx.scope, true);
          if (current.deletedAt) return map(current);
          if (expectedVersion !== undefined && current.version !== expectedVersion) {
            throw new VersionConflictError(map(current), expectedVersion);
          }
          await def.beforeRemove?.(tx, current);
          const [row] = (await tx
            .update(table)
            .set({ deletedAt: sql`now()` } as never)
            .where(eq(table.id, id))
            .returning()) as unknown as RowOf<T>[];
          return map(row ?? current);
        });
      } catch (error) {
        rethrowAsDbError(error);
      }
    },
  };
}

/** Whether an existing row holds exactly the values a create would have written. */
function sameContent(values: Record<string, unknown>, row: VersionedRow, scope: Scope): boolean {
  if (scope !== 'all' && row.branchId !== null && !scope.includes(row.branchId)) return false;
  const existing = row as unknown as Record<string, unknown>;
  return Object.entries(values).every(([key, value]) => sameValue(value, existing[key]));
}
