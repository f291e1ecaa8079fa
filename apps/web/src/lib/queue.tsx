import {
  createOfflineQueue,
  type OfflineQueue,
  type QueuedOperation,
  type QueueStats,
} from '@dynapharm/offline-sync';
import { createContext, type ReactNode, useContext, useEffect, useState } from 'react';
import { currentToken } from './auth.ts';
import { API_BASE } from './config.ts';
import { useRealtime } from './realtime.tsx';

interface QueueValue {
  queue: OfflineQueue | undefined;
  stats: QueueStats | undefined;
  /** Every queued operation, in replay order. */
  ops: QueuedOperation[];
}

const QueueContext = createContext<QueueValue>({ queue: undefined, stats: undefined, ops: [] });

export const useQueue = () => useContext(QueueContext);

/**
 * The console's single offline queue: every write goes through it, so writes
 * made offline show at once and replay (exactly once) when the network is back.
 */
export function QueueProvider({ children }: { children: ReactNode }) {
  const { client } = useRealtime();
  const [value, setValue] = useState<QueueValue>({ queue: undefined, stats: undefined, ops: [] });

  useEffect(() => {
    const queue = createOfflineQueue({ apiUrl: API_BASE, token: () => currentToken() });
    let live = true;
    const refresh = async () => {
      const [stats, ops] = await Promise.all([queue.getStats(), queue.getQueue()]);
      if (live) setValue({ queue, stats, ops });
    };
    const unsubscribe = queue.subscribe(() => void refresh().catch(() => undefined));
    queue.start();
    void refresh().catch(() => undefined);
    return () => {
      live = false;
      unsubscribe();
      void queue.close();
    };
  }, []);

  // A gateway reconnect usually means the network is back: replay right away.
  useEffect(() => {
    if (!client || !value.queue) return;
    const queue = value.queue;
    const off = client.onConnect(() => void queue.syncAll().catch(() => undefined));
    return () => {
      off();
    };
  }, [client, value.queue]);

  return <QueueContext.Provider value={value}>{children}</QueueContext.Provider>;
}
