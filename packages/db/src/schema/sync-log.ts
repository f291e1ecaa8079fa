import type { ChangeAction, ResourceName } from '@dynapharm/types';
import { sql } from 'drizzle-orm';
import {
  bigint,
  bigserial,
  index,
  integer,
  jsonb,
  pgTable,
  text,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { timestamptz } from './columns.ts';

/**
 * The outbox and change history, written only by triggers (migration `triggers`)
 * in the transaction of the change. `id` is NOT commit order: the relay assigns
 * `offset` in publication order, and only `offset` is gap-free.
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
  ],
);

/** Small key/value state of the relay (e.g. the last offset it assigned). */
export const relayState = pgTable('relay_state', {
  name: text('name').primaryKey(),
  lastOffset: bigint('last_offset', { mode: 'number' }).notNull().default(0),
});
