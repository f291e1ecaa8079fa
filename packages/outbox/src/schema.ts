import type { ChangeAction, ResourceName } from '@dynapharm/types';
import { sql } from 'drizzle-orm';
import {
  bigint,
  bigserial,
  check,
  index,
  integer,
  jsonb,
  pgTable,
  smallint,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';

const timestamptz = (name: string) =>
  timestamp(name, { withTimezone: true, precision: 3, mode: 'date' });

/**
 * The outbox and change history. Rows are written only by the change triggers
 * (migrations of `@dynapharm/db`), in the transaction of the change. `id` is
 * NOT commit order: the relay assigns `offset` in publication order, and only
 * `offset` is gap-free.
 */
export const syncLog = pgTable(
  'sync_log',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    resource: text('resource').$type<ResourceName>().notNull(),
    action: text('action').$type<ChangeAction>().notNull(),
    recordId: uuid('record_id').notNull(),
    branchId: uuid('branch_id'),
    version: integer('version').notNull(),
    /** The row in the API shape of `@dynapharm/types` (orders include `items`). */
    data: jsonb('data').$type<Record<string, unknown>>().notNull(),
    actor: text('actor'),
    /** The client's operation / idempotency id, when the write carried one. */
    origin: text('origin'),
    changedAt: timestamptz('changed_at').notNull().default(sql`clock_timestamp()`),
    offset: bigint('offset', { mode: 'number' }),
    publishedAt: timestamptz('published_at'),
  },
  (t) => [
    uniqueIndex('sync_log_offset_key').on(t.offset),
    index('sync_log_unpublished_idx').on(t.id).where(sql`${t.offset} IS NULL`),
    index('sync_log_record_id_idx').on(t.recordId),
    // A branch-scoped read of `GET /api/changes`: one range per branch, and
    // one for the global rows (NULL), each in offset order.
    index('sync_log_branch_offset_idx')
      .on(t.branchId, t.offset)
      .where(sql`${t.offset} IS NOT NULL`),
    index('sync_log_unsent_idx')
      .on(t.offset)
      .where(sql`${t.offset} IS NOT NULL AND ${t.publishedAt} IS NULL`),
  ],
);

/**
 * The stream's position and identity, one row. `head` is the last offset the
 * relay assigned, `trimmed` the highest offset retention removed. `epoch` names
 * the history the offsets belong to; it is replaced whenever they could go back
 * (a restore, a reset). `incarnation` fingerprints the physical database the
 * row lives in, so the relay notices a restore it was not told about.
 */
export const relayState = pgTable(
  'relay_state',
  {
    id: smallint('id').primaryKey().default(1),
    epoch: uuid('epoch').notNull().default(sql`gen_random_uuid()`),
    head: bigint('head', { mode: 'number' }).notNull().default(0),
    trimmed: bigint('trimmed', { mode: 'number' }).notNull().default(0),
    incarnation: text('incarnation'),
  },
  (t) => [check('relay_state_one_row', sql`${t.id} = 1`)],
);
