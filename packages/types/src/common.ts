import { z } from 'zod';

/**
 * Record ids are UUIDs; clients may generate them (UUIDv7) for offline creates.
 * Any UUID PostgreSQL stores is accepted, of an RFC 9562 version or not
 * (rows imported from older systems), so no stored row is unreadable.
 */
export const id = z.guid();

/** ISO-8601 timestamp as it travels over JSON. */
export const timestamp = z.iso.datetime({ offset: true });

/** Calendar date, `YYYY-MM-DD`. */
export const isoDate = z.iso.date();

/** Money in integer cents: no floating-point rounding on the way. */
export const cents = z.int().min(0).max(1_000_000_000_00);

/** Columns every versioned business row carries (docs/architecture.md §2). */
export const recordColumns = {
  id,
  branchId: id.nullable(),
  createdAt: timestamp,
  updatedAt: timestamp,
  lastSyncedAt: timestamp.nullable(),
  version: z.int().min(1),
  deletedAt: timestamp.nullable(),
};

/** Common optional field of a create body: a client-generated id. */
export const createColumns = {
  id: id.optional(),
};

const trimmed = (max: number) => z.string().trim().min(1).max(max);

/** A required human-readable text field, trimmed and bounded. */
export const text = trimmed;

/** An optional free-text field (empty string allowed, bounded). */
export const note = (max = 2000) => z.string().max(max);
