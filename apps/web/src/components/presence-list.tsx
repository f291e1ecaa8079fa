import type { PresenceHandler } from '@dynapharm/realtime-client';
import type { PresenceMember } from '@dynapharm/types';
import { useEffect, useMemo, useState } from 'react';
import { formatDateTime } from '../lib/format.ts';
import { onlineUsers } from '../lib/presence.ts';
import { useRealtime } from '../lib/realtime.tsx';
import { useSession } from '../lib/session.tsx';

const clock = (iso: string) => formatDateTime(iso).slice(11);

/**
 * Who is online in the branch the console works on (header): a count that
 * opens the list of people with the time they came online. Live through the
 * page's realtime connection (`presence` events); hidden for "All branches".
 */
export function PresenceList() {
  const { client } = useRealtime();
  const { branchId, session } = useSession();
  const [members, setMembers] = useState<PresenceMember[]>([]);

  useEffect(() => {
    setMembers([]);
    if (!client || !branchId) return;
    const onPresence: PresenceHandler = (update, list) => {
      if (update.branchId === branchId) setMembers(list);
    };
    client.on('presence', onPresence);
    client
      .watchPresence([branchId])
      .then(() => setMembers(client.presence(branchId)))
      .catch((err: unknown) => console.warn('presence:', err));
    return () => {
      client.off('presence', onPresence);
      void client.unwatchPresence([branchId]).catch(() => undefined);
    };
  }, [client, branchId]);

  const users = useMemo(() => onlineUsers(members), [members]);
  if (!branchId || !client) return null;
  const me = session?.user.id;
  return (
    <details className="presence" data-testid="presence" data-count={users.length}>
      <summary aria-label={`${users.length} online in this branch; show who`}>
        <span className="presence-dot" aria-hidden="true" />
        {users.length} online
      </summary>
      <ul className="presence-list">
        {users.length === 0 ? <li className="presence-empty">Nobody (or not connected)</li> : null}
        {users.map((u) => (
          <li key={u.userId} data-user={u.userId}>
            <span className="presence-name">
              {u.name}
              {u.userId === me ? ' (you)' : ''}
            </span>{' '}
            <small>
              {u.role}
              {u.devices > 1 ? ` · ${u.devices} devices` : ''} ·{' '}
              <time dateTime={u.since} title={formatDateTime(u.since)}>
                since {clock(u.since)}
              </time>
            </small>
          </li>
        ))}
      </ul>
    </details>
  );
}
