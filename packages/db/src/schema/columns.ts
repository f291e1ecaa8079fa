import { integer, timestamp, uuid } from 'drizzle-orm/pg-core';
import { v7 as uuidv7 } from 'uuid';

/**
 * `timestamptz(3)`: millisecond precision, the precision of a JS `Date`, so a
 * value read, encoded into a cursor and sent back compares equal in SQL.
 */
export const timestamptz = (name: string) =>
  timestamp(name, { withTimezone: true, precision: 3, mode: 'date' });

/** Generates the id of a new row: UUIDv7, time-ordered like the ids clients generate. */
export const newId = (): string => uuidv7();

/**
 * The columns every versioned business row carries (docs/architecture.md §2), except
 * `branch_id`, whose nullability and foreign key differ per table. The triggers
 * of the `triggers` migration own `version`, `created_at` and `updated_at`.
 */
export function recordColumns() {
  return {
    id: uuid('id').primaryKey().$defaultFn(newId),
    createdAt: timestamptz('created_at').notNull().defaultNow(),
    updatedAt: timestamptz('updated_at').notNull().defaultNow(),
    lastSyncedAt: timestamptz('last_synced_at'),
    version: integer('version').notNull().default(1),
    deletedAt: timestamptz('deleted_at'),
  };
}
