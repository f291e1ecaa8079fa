import { createDb, runMigrations, seedDatabase } from '@dynapharm/db';
import pg from 'pg';

/**
 * Migrates and seeds the bench database, then adds `count` branches of its
 * own (one room of subscribers each). Returns their ids.
 */
export async function prepareDatabase(url: string, count: number): Promise<string[]> {
  await runMigrations(url);
  const handle = createDb(url, { max: 2, applicationName: 'bench-seed' });
  try {
    await seedDatabase(handle.db, { ordersPerBranch: 5, reportDays: 2 });
  } finally {
    await handle.close();
  }
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('BEGIN');
    await client.query(`SELECT set_config('dynapharm.actor', 'bench', true)`);
    const { rows } = await client.query<{ id: string }>(
      `INSERT INTO branches (id, branch_id, code, name, city)
       SELECT id, id, 'BENCH-' || n, 'Bench branch ' || n, 'Benchville'
         FROM (SELECT gen_random_uuid() AS id, n FROM generate_series(1, $1::int) AS n) AS s
       RETURNING id`,
      [count],
    );
    await client.query('COMMIT');
    return rows.map((r) => r.id);
  } finally {
    await client.end();
  }
}

/** Read access to `sync_log` for the bench's bookkeeping. */
export class SyncLog {
  private readonly pool: pg.Pool;

  constructor(url: string) {
    this.pool = new pg.Pool({ connectionString: url, max: 2, application_name: 'bench' });
    // An idle client losing its connection (PostgreSQL stopping at the end) must not crash the run.
    this.pool.on('error', () => {});
  }

  /** Highest offset assigned so far. */
  async head(): Promise<number> {
    const { rows } = await this.pool.query<{ n: string }>(
      `SELECT coalesce(max("offset"), 0) AS n FROM sync_log`,
    );
    return Number(rows[0]?.n ?? 0);
  }

  async unpublished(): Promise<number> {
    const { rows } = await this.pool.query<{ n: string }>(
      'SELECT count(*) AS n FROM sync_log WHERE published_at IS NULL',
    );
    return Number(rows[0]?.n ?? 0);
  }

  /** Offsets published after `after`, grouped by the branch room they went to. */
  async publishedSince(after: number): Promise<Record<string, number[]>> {
    const { rows } = await this.pool.query<{ offset: string; branch_id: string }>(
      `SELECT "offset", branch_id FROM sync_log
        WHERE "offset" > $1 AND resource = 'clients' AND published_at IS NOT NULL
        ORDER BY "offset"`,
      [after],
    );
    const out: Record<string, number[]> = {};
    for (const row of rows) {
      const room = `clients@${row.branch_id}`;
      const list = out[room] ?? [];
      list.push(Number(row.offset));
      out[room] = list;
    }
    return out;
  }

  /**
   * Every `clients` offset in (`after`, `upTo`], published or not, by branch
   * room: what the subscribers should have received by now (soak windows).
   */
  async offsetsBetween(after: number, upTo: number): Promise<Record<string, number[]>> {
    const { rows } = await this.pool.query<{ offset: string; branch_id: string }>(
      `SELECT "offset", branch_id FROM sync_log
        WHERE "offset" > $1 AND "offset" <= $2 AND resource = 'clients'
        ORDER BY "offset"`,
      [after, upTo],
    );
    const out: Record<string, number[]> = {};
    for (const row of rows) {
      const room = `clients@${row.branch_id}`;
      const list = out[room] ?? [];
      list.push(Number(row.offset));
      out[room] = list;
    }
    return out;
  }

  /** A real `clients:created` payload, reused by the baselines so they carry the same bytes. */
  async sampleClientData(): Promise<Record<string, unknown>> {
    const { rows } = await this.pool.query<{ data: Record<string, unknown> }>(
      `SELECT data FROM sync_log WHERE resource = 'clients' AND action = 'created'
        ORDER BY id DESC LIMIT 1`,
    );
    return rows[0]?.data ?? {};
  }

  close() {
    return this.pool.end();
  }
}
