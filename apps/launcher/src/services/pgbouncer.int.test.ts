import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDb } from '@dynapharm/db';
import { createTestDatabase, type IsolatedDatabase } from '@dynapharm/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../process/net.ts';
import { type LocalPgBouncer, startLocalPgBouncer } from './pgbouncer.ts';

// PGBOUNCER=true of the launcher: Debian's PgBouncer in front of a real
// PostgreSQL (the testkit's), in transaction mode.

const logDir = mkdtempSync(join(tmpdir(), 'launcher-pgbouncer-'));
let database: IsolatedDatabase;
let bouncer: LocalPgBouncer;

/** One query on a fresh connection (no parameters: PgBouncer's console takes simple queries only). */
async function query<T extends Record<string, unknown>>(url: string, sql: string) {
  const { pool, close } = createDb(url, { max: 1 });
  try {
    return (await pool.query<T>(sql)).rows;
  } finally {
    await close();
  }
}

beforeAll(async () => {
  database = await createTestDatabase();
  bouncer = await startLocalPgBouncer({
    path: process.env.PATH ?? '',
    logDir,
    env: { PATH: process.env.PATH },
    databaseUrl: database.url,
    port: await freePort(),
    poolSize: 2,
  });
});

afterAll(async () => {
  await bouncer?.child.stop('SIGTERM', 5_000);
  await database?.drop();
  rmSync(logDir, { recursive: true, force: true });
});

describe('the launcher’s PgBouncer', () => {
  it('answers on 127.0.0.1 for the same database, user and password, pooling per transaction', async () => {
    const url = new URL(bouncer.url);
    expect(url.hostname).toBe('127.0.0.1');
    expect(url.pathname).toBe(`/${database.name}`);
    const [row] = await query<{ db: string }>(bouncer.url, 'SELECT current_database() AS db');
    expect(row?.db).toBe(database.name);

    // Its admin console (stats_users) shows the pool and its mode.
    const admin = new URL(bouncer.url);
    admin.pathname = '/pgbouncer';
    const pools = await query<Record<string, string>>(admin.toString(), 'SHOW POOLS');
    expect(pools.find((p) => p.database === database.name)?.pool_mode).toBe('transaction');
  });

  it('refuses a wrong password', async () => {
    const wrong = new URL(bouncer.url);
    wrong.password = 'not-the-password';
    await expect(query(wrong.toString(), 'SELECT 1')).rejects.toThrow(
      /password authentication failed|SASL/,
    );
  });

  it('stops with the launcher’s signal', async () => {
    await bouncer.child.stop('SIGTERM', 5_000);
    expect(bouncer.child.isRunning()).toBe(false);
    await expect(query(bouncer.url, 'SELECT 1')).rejects.toThrow();
  });
});
