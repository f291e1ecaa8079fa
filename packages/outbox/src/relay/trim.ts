import type pg from 'pg';

const CHUNK = 5000;

/**
 * Deletes published rows older than the retention window, a chunk per
 * statement, and raises `relay_state.trimmed` in the same statement, so a
 * reader never sees rows gone without the mark that tells it to resync.
 * Returns how many rows went.
 */
export async function trimLog(client: pg.ClientBase, retentionMs: number): Promise<number> {
  let total = 0;
  for (;;) {
    const { rows } = await client.query<{ n: string }>(
      `WITH doomed AS (
         SELECT id FROM sync_log
          WHERE changed_at < now() - make_interval(secs => $1)
            AND published_at IS NOT NULL
          ORDER BY id LIMIT $2
       ), gone AS (
         DELETE FROM sync_log s USING doomed WHERE s.id = doomed.id RETURNING s."offset"
       ), mark AS (
         UPDATE relay_state SET trimmed = greatest(trimmed, (SELECT max("offset") FROM gone))
          WHERE id = 1 AND EXISTS (SELECT 1 FROM gone)
       )
       SELECT count(*) AS n FROM gone`,
      [retentionMs / 1000, CHUNK],
    );
    const removed = Number(rows[0]?.n ?? 0);
    total += removed;
    if (removed < CHUNK) return total;
  }
}
