import type pg from 'pg';

const CHUNK = 5000;

/**
 * Moves published rows older than the retention window from `sync_log` into
 * the append-only, month-partitioned `sync_log_archive`, a chunk per
 * statement (`sync_log_trim()`, migration 0007 of `@dynapharm/db`). Each
 * statement creates the months it needs, deletes the rows, archives them and
 * raises `relay_state.trimmed` together: a reader never sees rows gone without
 * the mark that tells it to resync, and a process that dies midway loses no
 * change. Returns how many rows moved.
 */
export async function trimLog(client: pg.ClientBase, retentionMs: number): Promise<number> {
  let total = 0;
  for (;;) {
    const { rows } = await client.query<{ n: string }>(
      'SELECT sync_log_trim($1::double precision, $2::integer) AS n',
      [retentionMs / 1000, CHUNK],
    );
    const moved = Number(rows[0]?.n ?? 0);
    total += moved;
    if (moved < CHUNK) return total;
  }
}
