import { fileURLToPath } from 'node:url';
import { drizzle } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import pg from 'pg';

/** The drizzle-kit migrations shipped with this package. */
export const migrationsFolder = fileURLToPath(new URL('../drizzle', import.meta.url));

/**
 * Applies every pending migration of `packages/db/drizzle` (schema and triggers).
 * Safe to run concurrently from several processes: drizzle's migrator runs in one
 * transaction and an advisory lock serialises the runners.
 */
export async function runMigrations(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('SELECT pg_advisory_lock(hashtext($1))', ['dynapharm:migrate']);
    await migrate(drizzle(client), { migrationsFolder });
  } finally {
    await client.end();
  }
}
