import { RealtimeClient } from '@dynapharm/realtime-client';
import { type LiveChange, type ResourceName, resourceNames } from '@dynapharm/types';
import { createContext, type ReactNode, useContext, useEffect, useRef, useState } from 'react';
import { currentToken } from './auth.ts';
import { SOCKET_PATH } from './config.ts';

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
 * One RealtimeClient for the signed-in page, subscribed to every resource
 * (the gateway narrows branch users to their own branches).
 */
export function RealtimeProvider({ token, children }: { token: string; children: ReactNode }) {
  const [state, setState] = useState<RealtimeValue>({
    client: undefined,
    connected: false,
    replicaId: undefined,
    resyncCount: 0,
  });

  useEffect(() => {
    const client = new RealtimeClient({
      wsUrl: location.origin,
      path: SOCKET_PATH,
      token: () => currentToken() ?? token,
    });
    setState((s) => ({ ...s, client }));
    const offConnect = client.onConnect(({ replicaId }) =>
      setState((s) => ({ ...s, connected: true, replicaId: replicaId ?? client.replicaId })),
    );
    const offDisconnect = client.onDisconnect(() => setState((s) => ({ ...s, connected: false })));
    const offResync = client.onResync(() =>
      setState((s) => ({ ...s, resyncCount: s.resyncCount + 1 })),
    );
    void client.subscribe([...resourceNames]);
    client.connect().catch(() => {
      // Keeps retrying in the background; the indicator shows "offline" meanwhile.
    });
    return () => {
      offConnect();
      offDisconnect();
      offResync();
      client.disconnect();
      setState({ client: undefined, connected: false, replicaId: undefined, resyncCount: 0 });
    };
  }, [token]);

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
