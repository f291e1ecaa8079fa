import type { RelayStatus } from '@dynapharm/types';
import type pg from 'pg';

/** The advisory lock the relay's leader holds unless `RelayOptions.lockId` says otherwise. */
export const DEFAULT_RELAY_LOCK_ID = 7_305_001;

interface StatusRow {
  epoch: string | null;
  head: string | null;
  published: string | null;
  unclaimed: string;
  lag_seconds: string | null;
  leader: boolean;
}

/**
 * The relay's position, read from PostgreSQL in one statement (so any API
 * process answers the same, leader or not): whether a session holds the
 * leader lock on this database, `relay_state`'s epoch and head, the offset
 * up to which every change was confirmed published, the committed changes
 * still without an offset, and the age of the oldest change not yet
 * published. Both waiting sets are read through their partial indexes.
 */
export async function readRelayStatus(
  client: Pick<pg.ClientBase, 'query'>,
  lockId: number = DEFAULT_RELAY_LOCK_ID,
): Promise<RelayStatus> {
  // pg_try_advisory_lock(bigint) records the key's high and low 32 bits.
  const classid = Math.floor(lockId / 2 ** 32);
  const objid = lockId % 2 ** 32;
  const { rows } = await client.query<StatusRow>(
    `WITH unsent AS (
       SELECT min("offset") AS first, min(changed_at) AS oldest FROM sync_log
        WHERE "offset" IS NOT NULL AND published_at IS NULL
     ), unclaimed AS (
       SELECT count(*) AS n, min(changed_at) AS oldest FROM sync_log WHERE "offset" IS NULL
     )
     SELECT state.epoch, state.head,
            COALESCE(unsent.first - 1, state.head) AS published,
            unclaimed.n AS unclaimed,
            EXTRACT(EPOCH FROM clock_timestamp() - LEAST(unsent.oldest, unclaimed.oldest)) AS lag_seconds,
            EXISTS (
              SELECT 1 FROM pg_locks
               WHERE locktype = 'advisory' AND granted
                 AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
                 AND classid = $1::oid AND objid = $2::oid AND objsubid = 1
            ) AS leader
       FROM unsent CROSS JOIN unclaimed LEFT JOIN relay_state AS state ON state.id = 1`,
    [String(classid), String(objid)],
  );
  const row = rows[0] as StatusRow;
  const head = Number(row.head ?? 0);
  const publishedOffset = Math.min(Number(row.published ?? 0), head);
  const unclaimed = Number(row.unclaimed);
  const changes = head - publishedOffset + unclaimed;
  const seconds = Math.max(0, Math.round(Number(row.lag_seconds ?? 0) * 1000) / 1000);
  return {
    status: !row.leader ? 'no_leader' : changes > 0 ? 'lagging' : 'ok',
    leader: row.leader,
    epoch: row.epoch,
    head,
    publishedOffset,
    unclaimed,
    lag: { changes, seconds: changes > 0 ? seconds : 0 },
  };
}
