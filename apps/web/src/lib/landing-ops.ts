import type { QueuedOperation } from '@dynapharm/offline-sync';
import { useEffect, useMemo, useRef, useState } from 'react';
import type { OverlayOperation } from './optimistic.ts';

/** Longest a landed operation stays in the overlay waiting for its change event. */
const LANDING_MS = 10_000;

interface Landing {
  op: OverlayOperation;
  until: number;
}

/**
 * The queue's operations plus those that just landed (left the queue while
 * pending or syncing), marked `landed` for a few seconds: the overlay drops
 * them as soon as the replica holds their result.
 */
export function useLandingOps(ops: readonly QueuedOperation[]): OverlayOperation[] {
  const previous = useRef<readonly QueuedOperation[]>([]);
  const [landing, setLanding] = useState<Landing[]>([]);

  useEffect(() => {
    const now = Date.now();
    const still = new Set(ops.map((o) => o.opId));
    const gone = previous.current.filter(
      (o) => !still.has(o.opId) && (o.status === 'pending' || o.status === 'syncing'),
    );
    previous.current = ops;
    if (gone.length === 0) return;
    setLanding((list) => [
      ...list.filter((l) => l.until > now),
      ...gone.map((op) => ({ op: { ...op, landed: true }, until: now + LANDING_MS })),
    ]);
  }, [ops]);

  useEffect(() => {
    if (landing.length === 0) return;
    const timer = setTimeout(
      () => setLanding((list) => list.filter((l) => l.until > Date.now())),
      LANDING_MS,
    );
    return () => clearTimeout(timer);
  }, [landing]);

  return useMemo(() => [...landing.map((l) => l.op), ...ops], [landing, ops]);
}
