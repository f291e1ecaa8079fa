import { isDeepStrictEqual } from 'node:util';
import type { ChangeAction, FieldChange, HistoryEntry, ResourceName } from '@dynapharm/types';
import { sql } from 'drizzle-orm';
import { z } from 'zod';
import { BadRequestError } from './errors.ts';
import type { Executor } from './transaction.ts';

/** Where the next (older) page of a record's history starts. */
export interface HistoryCursor {
  /** Last version returned. */
  version: number;
  /** Its change log id (a record could in theory log one version twice). */
  id: number;
}

const cursorSchema = z.tuple([z.int().min(1).max(2_147_483_647), z.int().min(1)]);

export function encodeHistoryCursor(cursor: HistoryCursor): string {
  return Buffer.from(JSON.stringify([cursor.version, cursor.id])).toString('base64url');
}

/** Decodes a token of `encodeHistoryCursor`; anything else is a `BadRequestError` naming `cursor`. */
export function decodeHistoryCursor(token: string): HistoryCursor {
  const invalid = () =>
    new BadRequestError('invalid cursor: not a history cursor', [
      { path: 'cursor', message: 'not a history cursor' },
    ]);
  if (token.length === 0 || token.length > 100 || !/^[A-Za-z0-9_-]+$/.test(token)) {
    throw invalid();
  }
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  const parsed = cursorSchema.safeParse(json);
  if (!parsed.success) throw invalid();
  return { version: parsed.data[0], id: parsed.data[1] };
}

/**
 * Fields a history diff leaves out: `version`, `updatedAt` and `lastSyncedAt`
 * change with every write, `id` and `createdAt` never do after the create.
 */
const unchangingOrBookkeeping = new Set([
  'id',
  'createdAt',
  'version',
  'updatedAt',
  'lastSyncedAt',
]);

/**
 * The fields that differ between two consecutive versions of a record in the
 * API shape, by field name. `before` null means the create, which lists its
 * non-empty fields.
 */
export function diffVersions(
  before: Record<string, unknown> | null,
  after: Record<string, unknown>,
): FieldChange[] {
  const fields = [...new Set([...Object.keys(after), ...Object.keys(before ?? {})])].sort();
  const changes: FieldChange[] = [];
  for (const field of fields) {
    if (unchangingOrBookkeeping.has(field)) continue;
    const was = before === null ? null : (before[field] ?? null);
    const now = after[field] ?? null;
    if (before !== null && isDeepStrictEqual(was, now)) continue;
    // A create lists what it set: empty fields (null, '') say nothing.
    if (before === null && (now === null || now === '')) continue;
    changes.push({ field, before: was, after: now });
  }
  return changes;
}

export interface ReadHistoryQuery {
  resource: ResourceName;
  /** The record; the caller has already checked that it may read it. */
  id: string;
  /** Older than this position (`nextCursor` of the previous page). */
  cursor?: HistoryCursor;
  /** Page size. @default 50 */
  limit?: number;
}

interface RawEntry {
  log_id: string;
  action: ChangeAction;
  version: number;
  data: Record<string, unknown>;
  actor: string | null;
  actor_name: string | null;
  origin: string | null;
  changed_at: string;
  offset: string | null;
  archived: boolean;
}

/**
 * One page of a record's history, newest first, from the live change log and
 * its archive in one statement (one snapshot: a trim moving rows between them
 * cannot make an entry appear twice or not at all). Each entry's field diff is
 * computed against the version just before it, which is why one row more than
 * the page is read.
 */
export async function readHistory(
  db: Executor,
  query: ReadHistoryQuery,
): Promise<{ items: HistoryEntry[]; nextCursor: string | null }> {
  const limit = query.limit ?? 50;
  const { resource, id, cursor } = query;
  const columns = sql.raw(
    `id AS log_id, action, version, data, actor, origin, changed_at, "offset"`,
  );
  const before = cursor
    ? sql`AND (e.version, e.log_id) < (${cursor.version}, ${cursor.id})`
    : sql``;
  const result = await db.execute(sql`
    WITH entries AS (
      SELECT ${columns}, false AS archived FROM sync_log
       WHERE record_id = ${id}::uuid AND resource = ${resource}
      UNION ALL
      SELECT ${columns}, true AS archived FROM sync_log_archive
       WHERE record_id = ${id}::uuid AND resource = ${resource}
    )
    SELECT e.log_id, e.action, e.version, e.data, e.actor, u.name AS actor_name, e.origin,
           to_char(e.changed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS changed_at,
           e."offset", e.archived
      FROM entries e
      LEFT JOIN users u ON u.id = e.actor
     WHERE true ${before}
     ORDER BY e.version DESC, e.log_id DESC
     LIMIT ${limit + 1}`);
  const rows = result.rows as unknown as RawEntry[];
  const page = rows.slice(0, limit);
  const items = page.map((row, i): HistoryEntry => {
    const previous = rows[i + 1];
    let changes: FieldChange[] | null;
    if (row.action === 'created') changes = diffVersions(null, row.data);
    else if (previous && previous.version === row.version - 1) {
      changes = diffVersions(previous.data, row.data);
    } else changes = null;
    return {
      version: row.version,
      action: row.action,
      at: row.changed_at,
      actor: row.actor,
      actorName: row.actor_name,
      origin: row.origin,
      offset: row.offset === null ? null : Number(row.offset),
      archived: row.archived,
      changes,
    };
  });
  const last = page.at(-1);
  const nextCursor =
    rows.length > limit && last
      ? encodeHistoryCursor({ version: last.version, id: Number(rows[page.length - 1]?.log_id) })
      : null;
  return { items, nextCursor };
}
