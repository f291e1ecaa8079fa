import { createTestDatabase, type IsolatedDatabase } from '@dynapharm/testkit';
import { drizzle } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readChanges } from './read-changes.ts';

let database: IsolatedDatabase;
let pool: pg.Pool;

const quiet = '0193a1b2-0000-7000-8000-00000000000a';
const busy = '0193a1b2-0000-7000-8000-00000000000b';
const BUSY_ROWS = 30_000;

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Actual Rows': number;
  'Actual Loops': number;
  'Rows Removed by Filter'?: number;
  Plans?: PlanNode[];
}

function nodes(plan: PlanNode): PlanNode[] {
  return [plan, ...(plan.Plans ?? []).flatMap(nodes)];
}

/** Runs `readChanges` and returns the executed plan of the statement it sent. */
async function planOf(query: Parameters<typeof readChanges>[1]) {
  const sent: { sql: string; params: unknown[] }[] = [];
  const db = drizzle(pool, {
    logger: { logQuery: (sql, params) => sent.push({ sql, params }) },
  });
  const page = await readChanges(db, query);
  expect(sent).toHaveLength(1);
  const [statement] = sent;
  const { rows } = await pool.query<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>(
    `EXPLAIN (ANALYZE, FORMAT JSON) ${statement?.sql}`,
    statement?.params,
  );
  const all = nodes(rows[0]?.['QUERY PLAN'][0].Plan as PlanNode);
  const onLog = all.filter((n) => n['Relation Name'] === 'sync_log');
  const rowsRead = onLog.reduce(
    (sum, n) => sum + (n['Actual Rows'] + (n['Rows Removed by Filter'] ?? 0)) * n['Actual Loops'],
    0,
  );
  return { page, onLog, rowsRead };
}

beforeAll(async () => {
  database = await createTestDatabase();
  pool = new pg.Pool({ connectionString: database.url, max: 2 });
  // A long retained log of one busy branch, a few rows of a quiet one and of
  // global data, spread over it; offsets as the relay gives them.
  await pool.query(
    `INSERT INTO sync_log (resource, action, record_id, branch_id, version, data, "offset", published_at)
     SELECT 'clients', 'insert', gen_random_uuid(),
            CASE WHEN i % 10000 = 5000 THEN $1::uuid
                 WHEN i % 10000 = 7000 THEN NULL
                 ELSE $2::uuid END,
            1, '{}'::jsonb, i, now()
       FROM generate_series(1, $3::int) AS i`,
    [quiet, busy, BUSY_ROWS],
  );
  await pool.query('UPDATE relay_state SET head = $1 WHERE id = 1', [BUSY_ROWS]);
  await pool.query('ANALYZE sync_log');
});

afterAll(async () => {
  await pool?.end();
  await database?.drop();
});

describe('readChanges on a long log', () => {
  it('reads a quiet branch through the branch index, not by scanning the log', async () => {
    const { page, onLog, rowsRead } = await planOf({ after: 0, scope: [quiet], limit: 500 });
    expect(page.changes.map((c) => [c.offset, c.branchId])).toEqual([
      [5000, quiet],
      [7000, null],
      [15000, quiet],
      [17000, null],
      [25000, quiet],
      [27000, null],
    ]);
    expect(onLog.length).toBeGreaterThan(0);
    expect(onLog.filter((n) => n['Node Type'] === 'Seq Scan')).toEqual([]);
    expect(onLog.every((n) => n['Index Name'] === 'sync_log_branch_offset_idx')).toBe(true);
    expect(rowsRead).toBeLessThan(50);
  });

  it('reads one page of a busy branch without reading the rest of it', async () => {
    const { page, onLog, rowsRead } = await planOf({ after: 100, scope: [busy], limit: 20 });
    expect(page.changes.map((c) => c.offset)).toEqual(
      Array.from({ length: 20 }, (_, i) => 101 + i),
    );
    expect(page).toMatchObject({ hasMore: true, nextAfter: 120 });
    expect(onLog.filter((n) => n['Node Type'] === 'Seq Scan')).toEqual([]);
    expect(rowsRead).toBeLessThan(100);
  });
});
