import { z } from 'zod';
import { id, timestamp } from './common.ts';
import { isResourceName, type ResourceName, resourceNames } from './resources/index.ts';

export const changeActions = ['created', 'updated', 'deleted'] as const;
export const changeAction = z.enum(changeActions);
export type ChangeAction = z.infer<typeof changeAction>;

/**
 * One committed change as it travels from the relay to clients and through
 * `GET /api/changes` (ARCHITECTURE §4). `offset` is assigned by the relay in
 * publication order and is gap-free; `version` orders changes of one record.
 */
export const changeEventSchema = z.object({
  resource: z.enum(resourceNames),
  action: changeAction,
  id,
  branchId: id.nullable(),
  version: z.int().min(1),
  offset: z.int().min(1),
  at: timestamp,
  data: z.record(z.string(), z.unknown()),
  origin: z.string().max(200).optional(),
});
export type ChangeEvent = z.infer<typeof changeEventSchema>;

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
