import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { runClosedLoop } from './open-loop.ts';

/**
 * Baseline (c): single-row INSERTs, autocommit, into a trigger-less table shaped
 * like `clients`, on the same PostgreSQL and with as many concurrent writers as
 * the API saturation phase. What the API adds on top — HTTP, auth, validation,
 * the transaction, the sync_log trigger, NOTIFY, the relay — is the difference.
 */
export async function measurePlainInserts(
  databaseUrl: string,
  concurrency: number,
  durationMs: number,
  payloadBytes: number,
  branchIds: readonly string[],
) {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: concurrency });
  pool.on('error', () => {});
  try {
    await pool.query(`CREATE TABLE IF NOT EXISTS bench_plain_inserts (
      id uuid PRIMARY KEY,
      branch_id uuid NOT NULL,
      full_name text NOT NULL,
      phone text,
      notes text NOT NULL DEFAULT '',
      created_at timestamptz NOT NULL DEFAULT now()
    )`);
    const notes = 'n'.repeat(payloadBytes);
    let i = 0;
    const result = await runClosedLoop(concurrency, durationMs, async () => {
      const branch = branchIds[i++ % branchIds.length] ?? randomUUID();
      await pool.query(
        'INSERT INTO bench_plain_inserts (id, branch_id, full_name, phone, notes) VALUES ($1, $2, $3, $4, $5)',
        [randomUUID(), branch, 'Bench Client', '+256 700 000 000', notes],
      );
      return true;
    });
    return { ...result, perSec: Math.round((result.ok / result.elapsedMs) * 1000) };
  } finally {
    await pool.end();
  }
}
