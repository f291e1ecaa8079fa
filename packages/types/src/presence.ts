import { z } from 'zod';
import { role } from './auth.ts';
import { id, timestamp } from './common.ts';
import { deviceIdSchema } from './sync.ts';

/**
 * One user on one device connected to a branch (docs/architecture.md §3.8).
 * Two tabs of one user on one device are one member; a socket without a
 * device id counts as the user's `deviceId: null` member.
 */
export const presenceMemberSchema = z.object({
  userId: z.string().min(1).max(200),
  /** The `name` claim of the user's token, when it has one. */
  name: z.string().max(200).nullable(),
  role,
  deviceId: deviceIdSchema.nullable(),
  /** When this member's first socket of the current stay connected. */
  since: timestamp,
  /** Gateway replica holding the member's first socket. */
  gateway: z.string().max(200),
});
export type PresenceMember = z.infer<typeof presenceMemberSchema>;

/** Who is online in one branch right now. */
export const presenceSnapshotSchema = z.object({
  branchId: id,
  members: z.array(presenceMemberSchema),
});
export type PresenceSnapshot = z.infer<typeof presenceSnapshotSchema>;

/**
 * Gateway → client `presence`: a member of a watched branch came online
 * (`join`, its first socket) or went away (`leave`, its last socket closed or
 * its gateway died).
 */
export const presenceEventSchema = z.object({
  type: z.enum(['join', 'leave']),
  branchId: id,
  member: presenceMemberSchema,
});
export type PresenceEvent = z.infer<typeof presenceEventSchema>;

/** Most branches one `presence:watch` may name. */
export const maxPresenceBranches = 50;

/**
 * Client → gateway `presence:watch` / `presence:unwatch`. `branches` may be
 * left out by branch users (their token's branches); admins name them.
 */
export const presenceWatchSchema = z.strictObject({
  branches: z.array(id).min(1).max(maxPresenceBranches).optional(),
});
export type PresenceWatch = z.infer<typeof presenceWatchSchema>;

/** An error answered through an ack: `code` and a message naming the field at fault. */
export interface AckError {
  error: { code: 'bad_request' | 'forbidden' | 'rate_limited' | 'unavailable'; message: string };
}

/** Answer to `presence:watch`: the current members of each watched branch, or an error. */
export type PresenceWatchAck = { snapshots: PresenceSnapshot[] } | AckError;

/** Answer to `presence:unwatch`. */
export type PresenceUnwatchAck = { branches: string[] } | AckError;

/** The Socket.IO room of a branch's presence events. */
export function presenceRoom(branchId: string): `presence@${string}` {
  return `presence@${branchId}`;
}
