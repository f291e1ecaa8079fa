import {
  type Channel,
  can,
  channelName,
  globalResources,
  type Principal,
  parseChannel,
  type ResourceName,
  type SubscribeAck,
} from '@dynapharm/types';

/** Most channels one `subscribe`/`unsubscribe` call may name. */
export const maxChannelsPerRequest = 100;

type Denied = SubscribeAck['denied'][number];

/** What a request asks for after validation: rooms to act on, and what was refused. */
export interface ChannelPlan {
  /** Room names to join or leave, each also reported as granted. */
  rooms: Channel[];
  denied: Denied[];
}

/** Reports a payload that is not a list of channels at all. */
export function rejectPayload(reason: Denied['reason']): SubscribeAck {
  return { granted: [], denied: [{ channel: '', reason }] };
}

/**
 * Validates the `channels` argument of `subscribe`/`unsubscribe`: an array of
 * at most {@link maxChannelsPerRequest} entries. Returns the entries, or the
 * ack to send back when the payload is unusable.
 */
export function readChannelList(value: unknown): unknown[] | SubscribeAck {
  if (!Array.isArray(value)) return rejectPayload('invalid');
  if (value.length > maxChannelsPerRequest) return rejectPayload('limit');
  return value;
}

function shown(value: unknown): string {
  return typeof value === 'string' ? value.slice(0, 100) : '';
}

/** Whether a role may read a resource; a parameter so tests can try a stricter matrix. */
export type ReadCheck = (role: Principal['role'], resource: ResourceName) => boolean;

const readCheck: ReadCheck = (role, resource) => can(role, resource, 'read');

/**
 * Decides which rooms a `subscribe` may join (docs/architecture.md §5, §6):
 * - a resource the role may not `read` (the permission matrix): `forbidden`;
 * - global resources (`products`): the room `<resource>`, for everybody;
 * - admins: `<resource>` and any `<resource>@<branch>` as asked;
 * - managers and staff: `<resource>` means their own branches' rooms
 *   `<resource>@<b>`; another branch is `forbidden`.
 * Deny by default: anything unparsable is `invalid`.
 */
export function planSubscribe(
  principal: Principal,
  requested: readonly unknown[],
  mayRead: ReadCheck = readCheck,
): ChannelPlan {
  const rooms = new Set<Channel>();
  const denied: Denied[] = [];
  for (const value of requested) {
    const parsed = parseChannel(value);
    if (!parsed) {
      denied.push({ channel: shown(value), reason: 'invalid' });
      continue;
    }
    const { resource, branchId } = parsed;
    if (!mayRead(principal.role, resource)) {
      denied.push({ channel: shown(value), reason: 'forbidden' });
    } else if (globalResources.has(resource)) {
      rooms.add(channelName(resource));
    } else if (principal.role === 'admin') {
      rooms.add(channelName(resource, branchId));
    } else if (branchId === undefined) {
      if (principal.branches.length === 0) denied.push({ channel: resource, reason: 'forbidden' });
      for (const own of principal.branches) rooms.add(channelName(resource, own));
    } else if (principal.branches.includes(branchId)) {
      rooms.add(channelName(resource, branchId));
    } else {
      denied.push({ channel: shown(value), reason: 'forbidden' });
    }
  }
  return { rooms: [...rooms], denied };
}

/**
 * Decides which rooms an `unsubscribe` leaves. Leaving needs no permission:
 * `<resource>` leaves the resource room and every `<resource>@*` room the
 * socket is in; `<resource>@<branch>` leaves that room.
 */
export function planUnsubscribe(joined: ReadonlySet<string>, requested: readonly unknown[]) {
  const rooms = new Set<string>();
  const granted = new Set<string>();
  const denied: Denied[] = [];
  for (const value of requested) {
    const parsed = parseChannel(value);
    if (!parsed) {
      denied.push({ channel: shown(value), reason: 'invalid' });
      continue;
    }
    const { resource, branchId } = parsed;
    if (branchId === undefined || globalResources.has(resource)) {
      granted.add(resource);
      rooms.add(resource);
      const prefix = `${resource}@`;
      for (const room of joined) if (room.startsWith(prefix)) rooms.add(room);
    } else {
      const channel = channelName(resource, branchId);
      granted.add(channel);
      rooms.add(channel);
    }
  }
  return { rooms: [...rooms], ack: { granted: [...granted], denied } satisfies SubscribeAck };
}
