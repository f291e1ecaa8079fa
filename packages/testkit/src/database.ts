import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { drizzle } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import pg from 'pg';

/** Replaces the database name in a PostgreSQL URL. */
export function withDatabase(url: string, database: string) {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

async function withAdmin<T>(adminUrl: string, fn: (client: pg.Client) => Promise<T>) {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/**
 * Creates (or recreates) a template database and applies the drizzle-kit
 * migrations found in `migrationsFolder`, if that folder exists.
 */
export async function createTemplateDatabase(
  adminUrl: string,
  name: string,
  migrationsFolder?: string,
) {
  await withAdmin(adminUrl, async (client) => {
    await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await client.query(`CREATE DATABASE "${name}"`);
  });
  const url = withDatabase(adminUrl, name);
  if (migrationsFolder && existsSync(migrationsFolder)) {
    const pool = new pg.Pool({ connectionString: url, max: 1 });
    try {
      await migrate(drizzle(pool), { migrationsFolder });
    } finally {
      await pool.end();
    }
  }
  await withAdmin(adminUrl, (client) =>
    client.query(`ALTER DATABASE "${name}" WITH is_template = TRUE ALLOW_CONNECTIONS = FALSE`),
  );
  return url;
}

/** A database cloned from a template, for one test or one suite. */
export interface IsolatedDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

/** Clones the template into a fresh database with a random name (a file copy: fast). */
export async function cloneDatabase(adminUrl: string, template: string): Promise<IsolatedDatabase> {
  const name = `t_${randomBytes(6).toString('hex')}`;
  await withAdmin(adminUrl, (client) =>
    client.query(`CREATE DATABASE "${name}" TEMPLATE "${template}"`),
  );
  return {
    name,
    url: withDatabase(adminUrl, name),
    drop: () =>
      withAdmin(adminUrl, async (client) => {
        await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      }),
  };
}
