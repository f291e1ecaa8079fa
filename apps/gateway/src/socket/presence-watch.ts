import {
  type AckError,
  fieldIssues,
  type PresenceUnwatchAck,
  type PresenceWatchAck,
  type Principal,
  presenceRoom,
  presenceWatchSchema,
} from '@dynapharm/types';
import type { Presence } from '../presence.ts';
import type { GatewaySocket } from './types.ts';

const fail = (code: AckError['error']['code'], message: string): AckError => ({
  error: { code, message },
});

/**
 * The branches a `presence:watch`/`unwatch` names, after validation: a strict
 * `{ branches?: uuid[] }`; branch users may leave `branches` out (their own)
 * and may not name another branch; admins must name them.
 */
export function planPresence(
  principal: Principal,
  payload: unknown,
  { leaving = false } = {},
): string[] | AckError {
  const parsed = presenceWatchSchema.safeParse(payload ?? {});
  if (!parsed.success) {
    const [issue] = fieldIssues(parsed.error);
    return fail('bad_request', `${issue?.path ?? '(body)'}: ${issue?.message ?? 'invalid'}`);
  }
  const asked = parsed.data.branches?.map((b) => b.toLowerCase());
  if (principal.role === 'admin') {
    if (!asked) return fail('bad_request', 'branches: required for admins (a list of branch ids)');
    return [...new Set(asked)];
  }
  if (!asked) {
    if (principal.branches.length === 0) return fail('forbidden', 'branches: you have no branch');
    return [...principal.branches];
  }
  if (!leaving) {
    const foreign = asked.findIndex((b) => !principal.branches.includes(b));
    if (foreign !== -1) return fail('forbidden', `branches.${foreign}: not one of your branches`);
  }
  return [...new Set(asked)];
}

/**
 * `presence:watch`: joins the branches' presence rooms, then reads who is
 * online (joining first means no join or leave falls between the read and
 * the events; one may arrive twice, which applying it as a set makes harmless).
 */
export async function watchPresence(
  socket: GatewaySocket,
  presence: Presence,
  payload: unknown,
  maxRooms: number,
): Promise<PresenceWatchAck> {
  const branches = planPresence(socket.data, payload);
  if (!Array.isArray(branches)) return branches;
  const rooms = branches.map(presenceRoom).filter((room) => !socket.rooms.has(room));
  if (socket.rooms.size - 1 + rooms.length > maxRooms) {
    return fail('bad_request', `branches: more rooms than this connection may join (${maxRooms})`);
  }
  if (rooms.length > 0) await socket.join(rooms);
  try {
    return { snapshots: await withTimeout(Promise.all(branches.map((b) => presence.list(b)))) };
  } catch {
    return fail('unavailable', 'presence is unavailable (Redis does not answer); try again');
  }
}

/** `presence:unwatch`: leaves the branches' presence rooms (no permission needed). */
export async function unwatchPresence(
  socket: GatewaySocket,
  payload: unknown,
): Promise<PresenceUnwatchAck> {
  const branches = planPresence(socket.data, payload, { leaving: true });
  if (!Array.isArray(branches)) return branches;
  for (const branchId of branches) await socket.leave(presenceRoom(branchId));
  return { branches };
}

function withTimeout<T>(promise: Promise<T>, ms = 2_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('timed out')), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
