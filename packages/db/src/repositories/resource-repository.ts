import { getTableColumns, type SQL, sql } from 'drizzle-orm';
import type { PgColumn } from 'drizzle-orm/pg-core';
import type { z } from 'zod';
import { BadRequestError, ConflictError, NotFoundError, VersionConflictError } from '../errors.ts';
import { newId } from '../schema/columns.ts';
import { canRead, canWrite, type Scope } from '../scope.ts';
import type { Executor } from '../transaction.ts';
import {
  type ApiRecord,
  assertWritable,
  type CreateResult,
  findRow,
  isUuid,
  type ListColumns,
  type ListQuery,
  listRows,
  type Page,
  parseInput,
  recordJson,
  type VersionedTable,
  type WriteContext,
  writableSql,
} from './core.ts';
import type { ApiShape } from './mapping.ts';
import { performWrite, type WriteOutcome, type WritePlan } from './write.ts';

/** A write the caller has already validated (the API parses with the shared schemas). */
export type WriteCommand<C, U> =
  | { op: 'create'; input: C }
  | { op: 'update'; id: string; patch: U; expectedVersion: number }
  | { op: 'remove'; id: string; expectedVersion?: number };

/** The write plans of one resource, one per kind of write. */
export interface WritePlans<T, C, U> {
  createPlan(input: C, scope: Scope): WritePlan<T>;
  updatePlan(id: string, patch: U, expectedVersion: number, scope: Scope): WritePlan<T>;
  removePlan(id: string, expectedVersion: number | undefined, scope: Scope): WritePlan<T>;
}

/** Runs a write command with a resource's plans; an id that is not a UUID is not found. */
export async function runWrite<T, C, U>(
  db: Executor,
  resource: string,
  plans: WritePlans<T, C, U>,
  command: WriteCommand<C, U>,
  ctx: WriteContext,
): Promise<WriteOutcome<T>> {
  const { idempotency, ...change } = ctx;
  const plan = () => {
    switch (command.op) {
      case 'create':
        return plans.createPlan(command.input, ctx.scope);
      case 'update':
        if (!isUuid(command.id)) throw new NotFoundError(resource, command.id);
        return plans.updatePlan(command.id, command.patch, command.expectedVersion, ctx.scope);
      case 'remove':
        if (!isUuid(command.id)) throw new NotFoundError(resource, command.id);
        return plans.removePlan(command.id, command.expectedVersion, ctx.scope);
    }
  };
  return performWrite(db, change, idempotency, plan());
}

/** The operations every resource repository offers. */
export interface ResourceRepository<
  TRecord,
  TCreate,
  TUpdate,
  TValidCreate = TCreate,
  TValidUpdate = TUpdate,
> {
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
  /**
   * The same writes for input already validated with the resource's schema (no
   * second parse), with `ctx.idempotency` honoured: the answer is stored with the
   * key in the write's statement, or the stored answer comes back instead.
   */
  write(
    command: WriteCommand<TValidCreate, TValidUpdate>,
    ctx: WriteContext,
  ): Promise<WriteOutcome<TRecord>>;
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
  /** Column values of a new row (id and branch id included), keyed by property name. */
  toInsert(input: z.output<C>, id: string): T['$inferInsert'];
  listColumns?: ListColumns;
  /**
   * A condition a row must meet to be soft-deleted, checked in the delete's
   * statement, and `explain`, which throws the error for a record failing it.
   */
  removable?: { condition: SQL; explain(record: ApiShape<T['$inferSelect']>): void };
}

/** Result of a direct (non-HTTP) write: a replayed answer is returned as it was stored. */
export function recordOf<T>(outcome: WriteOutcome<T>): { record: T; status: number } {
  return outcome.replayed
    ? { record: outcome.answer.body as T, status: outcome.answer.status }
    : { record: outcome.record, status: outcome.status };
}

/**
 * Builds the repository of a simple resource (everything except orders).
 * Every write is one statement (see `performWrite`).
 */
export function createResourceRepository<
  T extends VersionedTable,
  C extends z.ZodType,
  U extends z.ZodType,
>(
  db: Executor,
  def: ResourceDefinition<T, C, U>,
): ResourceRepository<
  ApiShape<T['$inferSelect']>,
  z.input<C>,
  z.input<U>,
  z.output<C>,
  z.output<U>
> {
  type Rec = ApiShape<T['$inferSelect']> & ApiRecord;
  const { resource } = def;
  // Queries run on the erased table type: drizzle's generic row types do not
  // resolve for a type parameter.
  const table: VersionedTable = def.table;
  const columns = getTableColumns(table) as Record<string, PgColumn>;
  const record = recordJson(table);

  /** `values` as (column, value) pairs; undefined values are left out. */
  function columnValues(values: Record<string, unknown>): [PgColumn, unknown][] {
    const pairs: [PgColumn, unknown][] = [];
    for (const [key, value] of Object.entries(values)) {
      if (value === undefined) continue;
      const column = columns[key];
      if (!column) throw new BadRequestError(`unknown field ${key}`, { field: key });
      pairs.push([column, value]);
    }
    return pairs;
  }

  /** A row of the table's type holding `pairs`, for the statement to read typed values from. */
  function inputCte(pairs: [PgColumn, unknown][]): SQL {
    const json = JSON.stringify(Object.fromEntries(pairs.map(([c, v]) => [c.name, v])));
    return sql`input AS (SELECT * FROM jsonb_populate_record(NULL::${table}, ${json}::jsonb))`;
  }

  function createPlan(
    input: z.output<C>,
    scope: Scope,
  ): WritePlan<Rec, { record: Rec; same: boolean }> {
    const id = (input as { id?: string }).id ?? newId();
    const pairs = columnValues(def.toInsert(input, id) as Record<string, unknown>);
    const branchId = (pairs.find(([c]) => c === table.branchId)?.[1] ?? null) as string | null;
    const writable = canWrite(scope, branchId);
    const names = sql.join(
      pairs.map(([c]) => sql.identifier(c.name)),
      sql`, `,
    );
    const given = sql.join(
      pairs.map(([c]) => sql`i.${sql.identifier(c.name)}`),
      sql`, `,
    );
    const stored = sql.join(
      pairs.map(([c]) => sql`${c}`),
      sql`, `,
    );
    return {
      ctes: sql`${inputCte(pairs)},
        ins AS (
          INSERT INTO ${table} (${names})
          SELECT ${given} FROM input i, settings
          WHERE ${writable}::boolean AND NOT EXISTS (SELECT 1 FROM prior)
          ON CONFLICT (id) DO NOTHING
          RETURNING ${record} AS record, ${table.version} AS version),
        same AS (
          SELECT ${record} AS record, ${table.version} AS version FROM ${table}, input i
          WHERE ${table.id} = i.id AND (${stored}) IS NOT DISTINCT FROM (${given})
            AND ${writable}::boolean AND NOT EXISTS (SELECT 1 FROM prior)
            AND NOT EXISTS (SELECT 1 FROM ins)),
        answer AS (
          SELECT 201 AS status, record, version FROM ins
          UNION ALL SELECT 200, record, version FROM same)`,
      probe: {
        ctes: inputCte(pairs),
        state: sql`SELECT jsonb_build_object(
            'record', ${record},
            'same', (${stored}) IS NOT DISTINCT FROM (${given}))
          FROM ${table}, input i WHERE ${table.id} = i.id`,
      },
      settle(state) {
        assertWritable(scope, branchId, resource);
        if (!state) return undefined;
        if (!state.same) {
          throw new ConflictError(`${resource} ${id} already exists with different content`, {
            id,
          });
        }
        return { status: 200, record: state.record };
      },
    };
  }

  function updatePlan(
    id: string,
    patch: z.output<U>,
    expectedVersion: number,
    scope: Scope,
  ): WritePlan<Rec, Rec> {
    const pairs = columnValues(patch as Record<string, unknown>);
    // An empty patch still runs the UPDATE: the trigger turns it into a no-op,
    // and the statement answers with the row as it is.
    const set =
      pairs.length > 0
        ? sql.join(
            pairs.map(([c]) => sql`${sql.identifier(c.name)} = i.${sql.identifier(c.name)}`),
            sql`, `,
          )
        : sql`id = ${table.id}`;
    return {
      ctes: sql`${inputCte(pairs)},
        changed AS (
          UPDATE ${table} SET ${set} FROM input i, settings
          WHERE ${table.id} = ${id} AND ${table.version} = ${expectedVersion}
            AND ${table.deletedAt} IS NULL AND ${writableSql(scope, table.branchId)}
            AND NOT EXISTS (SELECT 1 FROM prior)
          RETURNING ${record} AS record, ${table.version} AS version),
        answer AS (SELECT 200 AS status, record, version FROM changed)`,
      probe: { state: sql`SELECT ${record} FROM ${table} WHERE ${table.id} = ${id}` },
      settle(current) {
        if (!current || !canRead(scope, current.branchId) || current.deletedAt) {
          throw new NotFoundError(resource, id);
        }
        assertWritable(scope, current.branchId, resource);
        if (current.version !== expectedVersion) {
          throw new VersionConflictError(current, expectedVersion);
        }
        return undefined;
      },
    };
  }

  function removePlan(
    id: string,
    expectedVersion: number | undefined,
    scope: Scope,
  ): WritePlan<Rec, Rec> {
    return {
      ctes: sql`changed AS (
          UPDATE ${table} SET deleted_at = now() FROM settings
          WHERE ${table.id} = ${id} AND ${table.deletedAt} IS NULL
            AND (${expectedVersion ?? null}::int IS NULL OR ${table.version} = ${expectedVersion ?? null}::int)
            AND ${writableSql(scope, table.branchId)}
            AND ${def.removable?.condition ?? sql`true`}
            AND NOT EXISTS (SELECT 1 FROM prior)
          RETURNING ${record} AS record, ${table.version} AS version),
        answer AS (SELECT 200 AS status, record, version FROM changed)`,
      probe: { state: sql`SELECT ${record} FROM ${table} WHERE ${table.id} = ${id}` },
      settle(current) {
        if (!current || !canRead(scope, current.branchId)) throw new NotFoundError(resource, id);
        assertWritable(scope, current.branchId, resource);
        if (current.deletedAt) return { status: 200, record: current };
        if (expectedVersion !== undefined && current.version !== expectedVersion) {
          throw new VersionConflictError(current, expectedVersion);
        }
        def.removable?.explain(current);
        return undefined;
      },
    };
  }

  const repository: ResourceRepository<
    ApiShape<T['$inferSelect']>,
    z.input<C>,
    z.input<U>,
    z.output<C>,
    z.output<U>
  > = {
    async list(query) {
      const { rows, nextCursor } = await listRows<Rec>(db, table, query, def.listColumns);
      return { items: rows, nextCursor };
    },

    async get(id, scope, options = {}) {
      return findRow<Rec>(db, table, resource, id, scope, options);
    },

    write(command, ctx) {
      return runWrite(db, resource, { createPlan, updatePlan, removePlan }, command, ctx);
    },

    async create(input, ctx) {
      const parsed = parseInput(def.createSchema, input);
      const { record, status } = recordOf(
        await repository.write({ op: 'create', input: parsed }, ctx),
      );
      return { record, created: status === 201 };
    },

    async update(id, patch, expectedVersion, ctx) {
      const parsed = parseInput(def.updateSchema, patch);
      return recordOf(
        await repository.write({ op: 'update', id, patch: parsed, expectedVersion }, ctx),
      ).record;
    },

    async remove(id, expectedVersion, ctx) {
      return recordOf(await repository.write({ op: 'remove', id, expectedVersion }, ctx)).record;
    },
  };
  return repository;
}
