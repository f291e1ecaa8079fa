import { z } from 'zod';
import { id, timestamp } from './common.ts';
import { epoch } from './events.ts';
import { resourceNames } from './resources/index.ts';

/**
 * One page of `GET /api/snapshot`: rows of the caller's scope for the requested
 * resources, consistent with the stream position `{ offset, epoch }`. A client
 * stores the rows, then follows `/api/changes?after=offset&epoch=epoch` and
 * live events (version dedupe makes any overlap harmless). Every page of one
 * snapshot carries the same `offset` and `epoch`; `nextCursor` is null on the
 * last page.
 */
export const snapshotPageSchema = z.object({
  epoch,
  /** The stream position the rows are consistent with (taken with the first page). */
  offset: z.int().min(0),
  items: z.array(
    z.object({
      resource: z.enum(resourceNames),
      record: z.record(z.string(), z.unknown()),
    }),
  ),
  nextCursor: z.string().nullable(),
});
export type SnapshotPage = z.infer<typeof snapshotPageSchema>;

/** A stable id of a device (browser profile), generated and kept locally. */
export const deviceIdSchema = z
  .string()
  .regex(/^[\w-]{8,64}$/, 'must be 8 to 64 letters, digits, "_" or "-"');

/**
 * What a client reports to its gateway (`sync:ack`): the stream position it
 * has applied, and which device and local replica it is. Clients send it
 * coalesced (every few seconds while it moves, and on reconnect).
 */
export const deviceAckSchema = z.strictObject({
  deviceId: deviceIdSchema,
  /** Which local store is acknowledging (e.g. `console`). */
  replica: z.string().regex(/^[\w.-]{1,40}$/),
  offset: z.int().min(0),
  epoch,
});
export type DeviceAck = z.infer<typeof deviceAckSchema>;

/** One device as operators see it. */
export const deviceStatusSchema = z.object({
  deviceId: z.string(),
  replica: z.string(),
  userId: z.string(),
  branches: z.array(id),
  gateway: z.string(),
  offset: z.int().min(0),
  epoch,
  /** Changes the device is behind the stream head (null when the head is unknown or the epoch differs). */
  lagChanges: z.int().min(0).nullable(),
  /** Seconds since the device was last at the head (0 when caught up). */
  lagSeconds: z.number().min(0).nullable(),
  lastSeenAt: timestamp,
});
export type DeviceStatus = z.infer<typeof deviceStatusSchema>;
