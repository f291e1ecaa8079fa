import { z } from 'zod';
import { id, timestamp } from './common.ts';
import { isResourceName, type ResourceName, resourceNames } from './resources/index.ts';

/**
 * Identity of the change stream (a UUID). It changes whenever offsets could
 * restart or go back: a fresh database, a restore, a reset. An offset means
 * something only together with its epoch.
 */
export const epoch = z.uuid();

export const changeActions = ['created', 'updated', 'deleted'] as const;
export const changeAction = z.enum(changeActions);
export type ChangeAction = z.infer<typeof changeAction>;

/**
 * One committed change as it travels from the relay to clients and through
 * `GET /api/changes` (docs/architecture.md §5). `offset` is assigned by the relay in
 * publication order and is gap-free; `version` orders changes of one record.
 */
export const changeEventSchema = z.object({
  resource: z.enum(resourceNames),
  action: changeAction,
  id,
  branchId: id.nullable(),
  version: z.int().min(1),
  offset: z.int().min(1),
  epoch,
  at: timestamp,
  data: z.record(z.string(), z.unknown()),
  origin: z.string().max(200).optional(),
});
export type ChangeEvent = z.infer<typeof changeEventSchema>;

/**
 * What a service may broadcast through a gateway's `POST /publish`: a change
 * without a stream position. Only the relay assigns `offset` and `epoch`; a
 * published event carries neither, so it can never move a client's position
 * (a forged offset would make clients skip real changes).
 */
export const publishableChangeSchema = changeEventSchema
  .omit({ offset: true, epoch: true })
  .strict();
export type PublishableChange = z.infer<typeof publishableChangeSchema>;

/** A change as it arrives at a client: from the stream (positioned) or published (not). */
export type LiveChange = ChangeEvent | PublishableChange;

/**
 * One page of `GET /api/changes`. `epoch` names the history `head` and the
 * offsets belong to; a client holding another epoch must resync.
 */
export const changesPageSchema = z.object({
  epoch,
  /** Highest offset published so far. */
  head: z.int().min(0),
  /** The `after` of the request, or null when it was absent. */
  after: z.int().min(0).nullable(),
  /** The offset is no longer (or never was) in this history: reload the snapshot. */
  resync: z.boolean(),
  /** More changes follow: ask again with `after=nextAfter`. */
  hasMore: z.boolean(),
  nextAfter: z.int().min(0),
  changes: z.array(changeEventSchema),
});
export type ChangesPage = z.infer<typeof changesPageSchema>;

/** Socket.IO event name of a change: `clients:created`. */
export type ChangeEventName = `${ResourceName}:${ChangeAction}`;

export function eventName(resource: ResourceName, action: ChangeAction): ChangeEventName {
  return `${resource}:${action}`;
}

/** A subscription channel: `<resource>` or `<resource>@<branchId>`. */
export type Channel = ResourceName | `${ResourceName}@${string}`;

export interface ParsedChannel {
  resource: ResourceName;
  /** Absent for the resource-wide channel. */
  branchId?: string;
}

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The one function that names a channel (and the Socket.IO room behind it). */
export function channelName(resource: ResourceName, branchId?: string | null): Channel {
  return branchId ? `${resource}@${branchId}` : resource;
}

/** Parses a channel string from the wire; `undefined` when it is not a valid channel. */
export function parseChannel(value: unknown): ParsedChannel | undefined {
  if (typeof value !== 'string' || value.length > 80) return undefined;
  const at = value.indexOf('@');
  const resource = at === -1 ? value : value.slice(0, at);
  if (!isResourceName(resource)) return undefined;
  if (at === -1) return { resource };
  const branchId = value.slice(at + 1).toLowerCase();
  return uuidPattern.test(branchId) ? { resource, branchId } : undefined;
}

/** The rooms a change is broadcast to. */
export function roomsForChange(change: Pick<ChangeEvent, 'resource' | 'branchId'>): Channel[] {
  return change.branchId
    ? [channelName(change.resource), channelName(change.resource, change.branchId)]
    : [channelName(change.resource)];
}
