import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { prepareDatabase } from '../cluster/database.ts';
import { startPostgres } from '../infra/postgres.ts';
import { formatTable } from '../report/table.ts';

/**
 * What the write path's `pg_notify` costs (docs/benchmarks.md, "Where the time
 * goes"). PostgreSQL serialises the commits of notifying transactions behind
 * one lock held through the WAL flush, so they lose group commit. This runs
 * the same concurrent INSERTs four ways on a throwaway database:
 *
 * - a trigger-less table (the plain-insert baseline);
 * - `clients` with the shipped trigger (sync_log row + NOTIFY per transaction);
 * - `clients` with the trigger minus its NOTIFY (the log row alone);
 * - the same, plus one coalesced NOTIFY after commit from the writer
 *   (at most one in flight), the change recommended for apps/api.
 *
 * Usage: node apps/bench/dist/experiments/notify-cost.js [writers=16] [seconds=4]
 */
const writers = Number(process.argv[2] ?? 16);
const seconds = Number(process.argv[3] ?? 4);

const postgres = await startPostgres(process.env.DATABASE_URL || undefined);
try {
  const [branch] = await prepareDatabase(postgres.url, 1);
  const admin = new pg.Client({ connectionString: postgres.url });
  await admin.connect();
  await admin.query(
    'CREATE TABLE plain_rows (id uuid PRIMARY KEY, branch_id uuid, full_name text)',
  );
  const { rows } = await admin.query<{ def: string }>(
    `SELECT pg_get_functiondef('dynapharm_log_change'::regproc) AS def`,
  );
  const shipped = rows[0]?.def ?? '';
  const withoutNotify = shipped.replace("PERFORM pg_notify('sync_log', '');", '');
  if (withoutNotify === shipped)
    throw new Error('the trigger no longer calls pg_notify as expected');

  const run = async (mode: 'plain' | 'trigger' | 'coalesced') => {
    const pool = new pg.Pool({ connectionString: postgres.url, max: writers });
    pool.on('error', () => {});
    let inFlight = false;
    let again = false;
    const wake = () => {
      if (inFlight) {
        again = true;
        return;
      }
      inFlight = true;
      pool
        .query(`SELECT pg_notify('sync_log', '')`)
        .catch(() => {})
        .finally(() => {
          inFlight = false;
          if (again) {
            again = false;
            wake();
          }
        });
    };
    let done = 0;
    const start = performance.now();
    await Promise.all(
      Array.from({ length: writers }, async () => {
        while (performance.now() - start < seconds * 1000) {
          if (mode === 'plain') {
            await pool.query(
              `INSERT INTO plain_rows VALUES (gen_random_uuid(), $1, 'Bench Client')`,
              [branch],
            );
          } else {
            await pool.query(
              `INSERT INTO clients (id, branch_id, full_name) VALUES (gen_random_uuid(), $1, 'Bench Client')`,
              [branch],
            );
            if (mode === 'coalesced') wake();
          }
          done++;
        }
      }),
    );
    const perSec = Math.round(done / ((performance.now() - start) / 1000));
    await pool.end();
    return perSec;
  };

  const table: (string | number)[][] = [];
  for (let round = 1; round <= 2; round++) {
    await admin.query(shipped);
    const plain = await run('plain');
    const notify = await run('trigger');
    await admin.query(withoutNotify);
    const bare = await run('trigger');
    const coalesced = await run('coalesced');
    table.push([`round ${round}`, plain, notify, bare, coalesced]);
  }
  await admin.query(shipped);
  await admin.end();
  console.log(`${writers} writers, ${seconds} s each, INSERTs per second:`);
  console.log(
    formatTable(
      [
        '',
        'plain table',
        'trigger + NOTIFY (shipped)',
        'trigger, no NOTIFY',
        'no NOTIFY + coalesced NOTIFY',
      ],
      table,
    ),
  );
} finally {
  await postgres.close();
}
