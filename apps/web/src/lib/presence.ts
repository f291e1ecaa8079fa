import type { PresenceMember } from '@dynapharm/types';

/** One person in the list: their devices merged, online since the earliest. */
export interface OnlineUser {
  userId: string;
  name: string;
  role: string;
  since: string;
  devices: number;
}

/** Members are per user and device; people are per user. */
export function onlineUsers(members: readonly PresenceMember[]): OnlineUser[] {
  const byUser = new Map<string, OnlineUser>();
  for (const m of members) {
    const known = byUser.get(m.userId);
    if (known) {
      known.devices += 1;
      if (m.since < known.since) known.since = m.since;
    } else {
      byUser.set(m.userId, {
        userId: m.userId,
        name: m.name ?? m.userId,
        role: m.role,
        since: m.since,
        devices: 1,
      });
    }
  }
  return [...byUser.values()].sort(
    (a, b) => a.since.localeCompare(b.since) || a.name.localeCompare(b.name),
  );
}
