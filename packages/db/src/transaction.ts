import { type SQL, sql } from 'drizzle-orm';
import type { NodePgDatabase, NodePgQueryResultHKT } from 'drizzle-orm/node-postgres';
import type { PgDatabase } from 'drizzle-orm/pg-core';
import type * as schema from './schema/index.ts';

export type Schema = typeof schema;

/** The drizzle database `createDb` returns. */
export type Database = NodePgDatabase<Schema>;

/** A database or a transaction: anything repositories can run queries on. */
export type Executor = PgDatabase<NodePgQueryResultHKT, Schema>;

/** The transaction handed to `withTransaction` callbacks. */
export type Transaction = Parameters<Parameters<Executor['transaction']>[0]>[0];

/** Who and what caused a change; recorded in `sync_log.actor` / `sync_log.origin`. */
export interface ChangeContext {
  /** The user or service id making the change. */
  actor?: string;
  /** The client's operation id (e.g. its `Idempotency-Key`), echoed to subscribers. */
  origin?: string;
}

/**
 * Sets `dynapharm.actor` / `dynapharm.origin` for the rest of the current
 * transaction. Both are always set (empty meaning "none"), so values from an
 * earlier statement of the same transaction never leak into this change.
 */
export async function applyChangeContext(tx: Executor, ctx: ChangeContext): Promise<void> {
  await tx.execute(
    sql`SELECT set_config('dynapharm.actor', ${ctx.actor ?? ''}, true), set_config('dynapharm.origin', ${ctx.origin ?? ''}, true)`,
  );
}

/**
 * The `set_config` calls of `applyChangeContext` as a select list, for a write
 * that sets its context inside its own statement (see repositories/write.ts).
 */
export function changeContextSql(ctx: ChangeContext): SQL {
  return sql`set_config('dynapharm.actor', ${ctx.actor ?? ''}, true) AS actor,
             set_config('dynapharm.origin', ${ctx.origin ?? ''}, true) AS origin`;
}

/**
 * Runs `fn` in a transaction (a savepoint when `db` already is one) whose changes
 * are attributed to `ctx` in `sync_log`.
 *
 * @example
 * await withTransaction(db, { actor: 'admin', origin: idempotencyKey }, async (tx) => {
 *   await repos(tx).clients.update(id, { notes: 'VIP' }, 3, { scope: 'all' });
 * });
 *
 * The orders change trigger is deferred to COMMIT and reads the settings then,
 * so use one context per transaction.
 */
export function withTransaction<T>(
  db: Executor,
  ctx: ChangeContext,
  fn: (tx: Transaction) => Promise<T>,
): Promise<T> {
  return db.transaction(async (tx) => {
    await applyChangeContext(tx, ctx);
    return fn(tx);
  });
}
