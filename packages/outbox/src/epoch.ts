import type pg from 'pg';

/**
 * Fingerprint of the physical database: cluster identity, database oid, the
 * relay_state table's oid and the WAL timeline. A logical restore (pg_restore,
 * psql < dump) recreates the table, a point-in-time recovery or a failover
 * to a replica starts a new timeline; both change the fingerprint even though
 * the restored relay_state row carries the old epoch.
 */
const incarnationSql = `concat_ws(':',
  (SELECT system_identifier FROM pg_control_system()),
  (SELECT oid FROM pg_database WHERE datname = current_database()),
  'relay_state'::regclass::oid,
  substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))`;

export interface StreamIdentity {
  epoch: string;
  head: number;
  /** The epoch was replaced just now (the database is not the one it was). */
  renewed: boolean;
}

/**
 * Run by the relay leader before it assigns offsets: makes sure the state row
 * exists (a missing row is a reset: it gets a fresh epoch) and starts a new
 * epoch when the database's fingerprint differs from the recorded one.
 */
export async function confirmIncarnation(client: pg.ClientBase): Promise<StreamIdentity> {
  await client.query(
    `INSERT INTO relay_state (id, head)
     VALUES (1, coalesce((SELECT max("offset") FROM sync_log), 0))
     ON CONFLICT (id) DO NOTHING`,
  );
  const { rows } = await client.query<{ epoch: string; head: string; renewed: boolean }>(
    `WITH here AS (SELECT ${incarnationSql} AS incarnation),
          before AS (SELECT epoch, incarnation FROM relay_state WHERE id = 1)
     UPDATE relay_state AS r
        SET incarnation = here.incarnation,
            epoch = CASE WHEN before.incarnation IS DISTINCT FROM here.incarnation
                          AND before.incarnation IS NOT NULL
                         THEN gen_random_uuid() ELSE r.epoch END
       FROM here, before
      WHERE r.id = 1
  RETURNING r.epoch, r.head, r.epoch <> before.epoch AS renewed`,
  );
  const row = rows[0];
  if (!row) throw new Error('relay_state has no row');
  return { epoch: row.epoch, head: Number(row.head), renewed: row.renewed };
}

/**
 * Starts a new epoch by hand (after resetting offsets or restoring data by a
 * path the fingerprint cannot see). Every client resyncs.
 */
export async function renewEpoch(client: pg.ClientBase): Promise<string> {
  const { rows } = await client.query<{ epoch: string }>(
    'UPDATE relay_state SET epoch = gen_random_uuid() WHERE id = 1 RETURNING epoch',
  );
  const epoch = rows[0]?.epoch;
  if (!epoch) throw new Error('relay_state has no row');
  return epoch;
}
