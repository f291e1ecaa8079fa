import { drizzle } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import * as schema from './schema/index.ts';
import type { Database } from './transaction.ts';

export interface CreateDbOptions {
  /** Maximum pool size. @default 10 */
  max?: number;
  /** `application_name` shown in `pg_stat_activity`. @default 'dynapharm' */
  applicationName?: string;
}

/** A drizzle database over its own `pg` pool. */
export interface DbHandle {
  db: Database;
  pool: pg.Pool;
  /** Ends the pool (waits for checked-out clients to be released). */
  close(): Promise<void>;
}

/**
 * Opens a pool to `url`. One per process (or per test); nothing here is global.
 *
 * @example
 * const { db, close } = createDb(env.DATABASE_URL, { max: 20 });
 * const repos = createRepositories(db);
 */
export function createDb(url: string, options: CreateDbOptions = {}): DbHandle {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.max ?? 10,
    application_name: options.applicationName ?? 'dynapharm',
  });
  // A client losing its connection must not crash the process. The pool's own
  // listener covers idle clients only; a checked-out one (inside a transaction,
  // between two queries) would emit an unhandled 'error'. The failing query still
  // rejects, and the pool drops the broken client when it is released.
  pool.on('error', () => {});
  pool.on('connect', (client) => {
    client.on('error', () => {});
  });
  const db = drizzle(pool, { schema });
  let closed: Promise<void> | undefined;
  return {
    db,
    pool,
    close: () => {
      closed ??= pool.end();
      return closed;
    },
  };
}
