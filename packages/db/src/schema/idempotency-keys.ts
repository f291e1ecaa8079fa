import { index, integer, jsonb, pgTable, primaryKey, text } from 'drizzle-orm/pg-core';
import { timestamptz } from './columns.ts';

/**
 * Remembered answers of writes sent with an `Idempotency-Key`. A key row is
 * inserted by the write's own statement together with its answer (status,
 * body, ETag), so it exists only for a write that committed. The API deletes
 * keys older than `IDEMPOTENCY_KEY_TTL_HOURS`.
 */
export const idempotencyKeys = pgTable(
  'idempotency_keys',
  {
    principal: text('principal').notNull(),
    key: text('key').notNull(),
    method: text('method').notNull(),
    path: text('path').notNull(),
    requestHash: text('request_hash').notNull(),
    status: integer('status'),
    response: jsonb('response'),
    /** The ETag header of the answer (the record's version, `"<n>"`). */
    etag: text('etag'),
    createdAt: timestamptz('created_at').notNull().defaultNow(),
    completedAt: timestamptz('completed_at'),
  },
  (t) => [
    primaryKey({ name: 'idempotency_keys_pkey', columns: [t.principal, t.key] }),
    // Expiry deletes the oldest keys a chunk at a time.
    index('idempotency_keys_created_at_idx').on(t.createdAt),
  ],
);
