import type pg from 'pg';
import type { PositionedRow } from '../change-event.ts';

const returned = `"offset", resource, action, record_id AS "recordId", branch_id AS "branchId",
  version, data, origin, changed_at AS "changedAt"`;

type RawRow = Omit<PositionedRow, 'offset'> & { offset: string };

const toRow = (row: RawRow): PositionedRow => ({ ...row, offset: Number(row.offset) });

/**
 * Rows that got an offset but were never confirmed as published (Redis failed,
 * or the previous leader died mid-way), oldest first. They go out again before
 * anything new: delivery is at-least-once, clients drop repeats.
 */
export async function unsentRows(client: pg.ClientBase, limit: number): Promise<PositionedRow[]> {
  const { rows } = await client.query<RawRow>(
    `SELECT ${returned} FROM sync_log
      WHERE "offset" IS NOT NULL AND published_at IS NULL
      ORDER BY "offset" LIMIT $1`,
    [limit],
  );
  return rows.map(toRow);
}

/**
 * Gives the next committed rows consecutive offsets after the head, in one
 * statement that also moves the head, and returns them in offset order.
 *
 * Offsets are assigned here, by the single leader, never taken from
 * `sync_log.id`: ids are handed out before commit, so concurrent writers can
 * commit them out of order and "everything after id X" could skip a row that
 * committed late. A row gets an offset only once it is visible, so "everything
 * after offset X" is complete. Per record, id order is commit order (a later
 * change of a row waits for the earlier one's row lock), so numbering by id
 * keeps the versions of one record in order.
 */
export async function claimRows(client: pg.ClientBase, limit: number): Promise<PositionedRow[]> {
  const { rows } = await client.query<RawRow>(
    `WITH next AS (
       SELECT id, row_number() OVER (ORDER BY id) AS n
         FROM (SELECT id FROM sync_log WHERE "offset" IS NULL ORDER BY id LIMIT $1) AS pending
     ), moved AS (
       UPDATE relay_state SET head = head + (SELECT count(*) FROM next)
        WHERE id = 1
        RETURNING head - (SELECT count(*) FROM next) AS base
     )
     UPDATE sync_log AS s SET "offset" = moved.base + next.n
       FROM next, moved
      WHERE s.id = next.id
      RETURNING ${returned
        .split(',')
        .map((c) => `s.${c.trim()}`)
        .join(', ')}`,
    [limit],
  );
  return rows.map(toRow).sort((a, b) => a.offset - b.offset);
}

/**
 * Marks a published batch. Losing this mark in a crash only means publishing
 * the batch again, which clients tolerate, so it does not wait for the WAL
 * flush; the claim must, since its offsets are what clients resume from.
 */
export async function markPublished(client: pg.ClientBase, first: number, last: number) {
  await client.query('BEGIN');
  try {
    await client.query('SET LOCAL synchronous_commit = off');
    await client.query(
      `UPDATE sync_log SET published_at = clock_timestamp()
        WHERE "offset" BETWEEN $1 AND $2 AND published_at IS NULL`,
      [first, last],
    );
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  }
}

/** Rows still waiting for an offset (the partial index keeps this cheap however long the log grows). */
export async function backlog(client: pg.ClientBase): Promise<number> {
  const { rows } = await client.query<{ n: string }>(
    'SELECT count(*) AS n FROM sync_log WHERE "offset" IS NULL',
  );
  return Number(rows[0]?.n ?? 0);
}
