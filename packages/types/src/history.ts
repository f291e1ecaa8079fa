import { z } from 'zod';
import { id, timestamp } from './common.ts';
import { changeAction } from './events.ts';
import { resourceNames } from './resources/index.ts';

/** One field a change altered: its value in the version before and in this one. */
export const fieldChangeSchema = z.object({
  field: z.string(),
  /** Absent from the earlier version (a create, a field added later): null. */
  before: z.unknown(),
  after: z.unknown(),
});
export type FieldChange = z.infer<typeof fieldChangeSchema>;

/**
 * One change of a record, as the change log recorded it: who made it
 * (`actor`, the writer's user or service id; `actorName` when that id is a
 * known user), when, from which operation (`origin`, the write's
 * `Idempotency-Key`), and the fields it altered against the version before.
 */
export const historyEntrySchema = z.object({
  version: z.int().min(1),
  action: changeAction,
  at: timestamp,
  actor: z.string().nullable(),
  actorName: z.string().nullable(),
  origin: z.string().nullable(),
  /** Stream position of the change; null until the relay numbered it. */
  offset: z.int().min(1).nullable(),
  /** True when the entry was read from the archive (older than the live log's retention). */
  archived: z.boolean(),
  /**
   * Fields that differ from the previous version (`version`, `updatedAt` and
   * `lastSyncedAt`, which every write moves, and the immutable `id` and
   * `createdAt` left out); a create lists its non-empty fields against null.
   * Null when the previous version is no longer on record.
   */
  changes: z.array(fieldChangeSchema).nullable(),
});
export type HistoryEntry = z.infer<typeof historyEntrySchema>;

/** One page of `GET /api/<resource>/<id>/history`, newest change first. */
export const historyPageSchema = z.object({
  resource: z.enum(resourceNames),
  id,
  items: z.array(historyEntrySchema),
  /** Pass as `cursor` for older entries; null on the last page. */
  nextCursor: z.string().nullable(),
});
export type HistoryPage = z.infer<typeof historyPageSchema>;
