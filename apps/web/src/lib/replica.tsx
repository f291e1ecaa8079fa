import type { RealtimeClient } from '@dynapharm/realtime-client';
import { deleteOtherReplicas, Replica, type ReplicaStatus } from '@dynapharm/replica';
import { type Branch, resourceNames } from '@dynapharm/types';
import { createContext, type ReactNode, useContext, useEffect, useState } from 'react';
import type { Session } from './auth.ts';
import { currentToken } from './auth.ts';
import { API_BASE, deviceId, SOCKET_PATH } from './config.ts';
import { RealtimeProvider } from './realtime.tsx';
import { useSession } from './session.tsx';
import { onSignOut } from './sign-out.ts';

interface ReplicaValue {
  replica: Replica | undefined;
  status: ReplicaStatus | undefined;
}

const ReplicaContext = createContext<ReplicaValue>({ replica: undefined, status: undefined });

export const useReplica = () => useContext(ReplicaContext);

/**
 * The signed-in user's replica (`@dynapharm/replica`): every list of the
 * console reads from it, and its RealtimeClient is the page's. Signing out
 * deletes it; other users' leftovers are deleted when it starts.
 */
export function ReplicaProvider({ session, children }: { session: Session; children: ReactNode }) {
  const [replica, setReplica] = useState<Replica>();
  const [status, setStatus] = useState<ReplicaStatus>();
  const [client, setClient] = useState<RealtimeClient>();
  const userId = session.user.id;

  // The replica belongs to the user; a renewed token only changes its scope (below).
  useEffect(() => {
    const { role, branches } = session.user;
    const r = new Replica({
      userId,
      scope: { role, branches },
      resources: resourceNames,
      token: () => currentToken(),
      apiUrl: API_BASE,
      wsUrl: location.origin,
      clientOptions: { path: SOCKET_PATH, deviceId: deviceId(), replica: 'console' },
      onError: (err) => console.warn(`replica: ${err.name}: ${err.message}`),
    });
    setReplica(r);
    setStatus(r.status);
    const offStatus = r.onStatus(setStatus);
    // Without a custom `createClient` the replica's client is a RealtimeClient.
    const offClient = r.onRealtime((c) => setClient(c as RealtimeClient));
    const offSignOut = onSignOut(() => r.destroy());
    void deleteOtherReplicas(userId)
      .catch(() => [])
      .then(() => r.start());
    return () => {
      offStatus();
      offClient();
      offSignOut();
      void r.stop();
      setReplica(undefined);
      setClient(undefined);
    };
  }, [userId]);

  // The branch selector lists the branch rows of the replica (offline too).
  const { receiveBranches } = useSession();
  useEffect(() => {
    if (!replica) return;
    let live = true;
    const load = () =>
      replica
        .query<Branch>('branches', { sort: { by: 'code', dir: 'asc' } })
        .then(({ items }) => live && receiveBranches(items))
        .catch((err: Error) => console.warn(`replica: branches: ${err.message}`));
    void replica.ready.then(load);
    const off = replica.subscribe('branches', load);
    return () => {
      live = false;
      off();
    };
  }, [replica, receiveBranches]);

  const scopeKey = `${session.user.role}:${session.user.branches.join(',')}`;
  useEffect(() => {
    if (!replica) return;
    const [role, list] = scopeKey.split(':');
    void replica.setScope({
      role: role as Session['user']['role'],
      branches: list ? list.split(',') : [],
    });
  }, [replica, scopeKey]);

  return (
    <ReplicaContext.Provider value={{ replica, status }}>
      <RealtimeProvider client={client}>{children}</RealtimeProvider>
    </ReplicaContext.Provider>
  );
}
