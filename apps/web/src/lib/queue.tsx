import {
  createOfflineQueue,
  deleteUserQueue,
  type OfflineQueue,
  type QueuedOperation,
  type QueueStats,
} from '@dynapharm/offline-sync';
import { createContext, type ReactNode, useCallback, useContext, useEffect, useState } from 'react';
import { currentToken } from './auth.ts';
import { API_BASE } from './config.ts';
import { useRealtime } from './realtime.tsx';
import { useSession } from './session.tsx';

interface QueueValue {
  queue: OfflineQueue | undefined;
  stats: QueueStats | undefined;
  /** Every queued operation, in replay order. */
  ops: QueuedOperation[];
}

const QueueContext = createContext<QueueValue>({ queue: undefined, stats: undefined, ops: [] });

export const useQueue = () => useContext(QueueContext);

/**
 * The signed-in user's offline queue: every write goes through it, so writes
 * made offline show at once and replay (exactly once) when the network is back.
 * Each user of a shared terminal has a queue of their own, sent only with their
 * token; signing out ({@link useConfirmedSignOut}) deletes it (docs/branch-guide.md).
 */
export function QueueProvider({ children }: { children: ReactNode }) {
  const { client } = useRealtime();
  const userId = useSession().session?.user.id;
  const [value, setValue] = useState<QueueValue>({ queue: undefined, stats: undefined, ops: [] });

  useEffect(() => {
    if (!userId) return;
    const queue = createOfflineQueue({ apiUrl: API_BASE, userId, token: () => currentToken() });
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
  }, [userId]);

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

/**
 * Sign-out that warns first when writes are still waiting to be sent: signing
 * out deletes them from this terminal.
 */
export function useConfirmedSignOut(signOut: () => void): () => void {
  const { queue, stats } = useQueue();
  const userId = useSession().session?.user.id;
  const unsent = stats?.total ?? 0;
  return useCallback(() => {
    if (
      unsent > 0 &&
      !window.confirm(
        `${unsent} change${unsent === 1 ? ' has' : 's have'} not reached the server yet. Signing out deletes ${unsent === 1 ? 'it' : 'them'} from this terminal. Sign out anyway?`,
      )
    ) {
      return;
    }
    if (queue && userId) {
      void queue
        .close()
        .then(() => deleteUserQueue(userId))
        .catch(() => undefined);
    }
    signOut();
  }, [queue, userId, unsent, signOut]);
}
