import type { ReplicaChange } from '@dynapharm/replica';
import type { ResourceName } from '@dynapharm/types';
import { useEffect, useRef, useState } from 'react';
import { useReplica } from './replica.tsx';

/** Re-queries wait this long after a change, so a burst of events costs one query. */
const COALESCE_MS = 100;

/**
 * A counter that moves when rows of `resource` change on the device (at most
 * once per `COALESCE_MS`): put it in a query effect's dependencies.
 * `onChange` sees every change at once (for highlights).
 */
export function useReplicaChanges(
  resource: ResourceName,
  onChange?: (change: ReplicaChange) => void,
): number {
  const { replica } = useReplica();
  const [count, setCount] = useState(0);
  const ref = useRef(onChange);
  ref.current = onChange;
  useEffect(() => {
    if (!replica) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const off = replica.subscribe(resource, (change) => {
      ref.current?.(change);
      timer ??= setTimeout(() => {
        timer = undefined;
        setCount((n) => n + 1);
      }, COALESCE_MS);
    });
    return () => {
      off();
      clearTimeout(timer);
    };
  }, [replica, resource]);
  return count;
}
