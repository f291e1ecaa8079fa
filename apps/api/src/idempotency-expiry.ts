import type { Pool } from 'pg';
import type { Logger } from 'pino';

/**
 * Deletes the stored answers of idempotency keys older than `ttlMs`, oldest
 * first, `chunk` rows per statement so no statement holds many row locks or
 * runs long. Rows another process is deleting are skipped, not waited for.
 * Returns how many rows went. A retry sent after expiry runs as a new write.
 */
export async function deleteExpiredIdempotencyKeys(
  pool: Pool,
  ttlMs: number,
  chunk = 1000,
): Promise<number> {
  let total = 0;
  for (;;) {
    const { rowCount } = await pool.query(
      `DELETE FROM idempotency_keys k
        USING (SELECT principal, key FROM idempotency_keys
                WHERE created_at < now() - make_interval(secs => $1)
                ORDER BY created_at LIMIT $2
                FOR UPDATE SKIP LOCKED) doomed
        WHERE k.principal = doomed.principal AND k.key = doomed.key`,
      [ttlMs / 1000, chunk],
    );
    total += rowCount ?? 0;
    if ((rowCount ?? 0) < chunk) return total;
  }
}

/** Runs {@link deleteExpiredIdempotencyKeys} every `intervalMs`; returns the stop function. */
export function scheduleIdempotencyExpiry(
  pool: Pool,
  logger: Logger,
  ttlMs: number,
  intervalMs: number,
): () => void {
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    deleteExpiredIdempotencyKeys(pool, ttlMs)
      .then((removed) => {
        if (removed > 0) logger.info({ removed }, 'deleted expired idempotency keys');
      })
      .catch((err: unknown) => logger.warn({ err }, 'could not delete expired idempotency keys'))
      .finally(() => {
        running = false;
      });
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
