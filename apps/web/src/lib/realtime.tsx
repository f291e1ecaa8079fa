import type { RealtimeClient } from '@dynapharm/realtime-client';
import type { LiveChange, ResourceName } from '@dynapharm/types';
import { createContext, type ReactNode, useContext, useEffect, useRef, useState } from 'react';

interface RealtimeValue {
  client: RealtimeClient | undefined;
  connected: boolean;
  replicaId: string | undefined;
  /** Bumped when the server says missed changes are gone: lists reload. */
  resyncCount: number;
}

const RealtimeContext = createContext<RealtimeValue>({
  client: undefined,
  connected: false,
  replicaId: undefined,
  resyncCount: 0,
});

export const useRealtime = () => useContext(RealtimeContext);

/**
 * The signed-in page's RealtimeClient: the replica's (`lib/replica.tsx`), which
 * owns its connection and subscriptions. Undefined until the replica has
 * started it (after the first snapshot on a cold start).
 */
export function RealtimeProvider({
  client,
  children,
}: {
  client: RealtimeClient | undefined;
  children: ReactNode;
}) {
  const [state, setState] = useState<RealtimeValue>({
    client: undefined,
    connected: false,
    replicaId: undefined,
    resyncCount: 0,
  });

  useEffect(() => {
    if (!client) return;
    setState((s) => ({
      ...s,
      client,
      connected: client.isConnected,
      replicaId: client.replicaId,
    }));
    const offConnect = client.onConnect(({ replicaId }) =>
      setState((s) => ({ ...s, connected: true, replicaId: replicaId ?? client.replicaId })),
    );
    const offDisconnect = client.onDisconnect(() => setState((s) => ({ ...s, connected: false })));
    const offResync = client.onResync(() =>
      setState((s) => ({ ...s, resyncCount: s.resyncCount + 1 })),
    );
    return () => {
      offConnect();
      offDisconnect();
      offResync();
      setState({ client: undefined, connected: false, replicaId: undefined, resyncCount: 0 });
    };
  }, [client]);

  return <RealtimeContext.Provider value={state}>{children}</RealtimeContext.Provider>;
}

/** Calls `handler` for every live change of `resource` (the latest handler, without resubscribing). */
export function useLiveChanges(resource: ResourceName, handler: (event: LiveChange) => void) {
  const { client } = useRealtime();
  const ref = useRef(handler);
  ref.current = handler;
  useEffect(() => {
    if (!client) return;
    const listener = (_data: Record<string, unknown>, event: LiveChange) => {
      if (event.resource === resource) ref.current(event);
    };
    client.on('*', listener);
    return () => {
      client.off('*', listener);
    };
  }, [client, resource]);
}
