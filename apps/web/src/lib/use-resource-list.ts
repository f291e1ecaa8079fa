import type { ReplicaQuery } from '@dynapharm/replica';
import type { ResourceName } from '@dynapharm/types';
import { useCallback, useEffect, useRef, useState } from 'react';
import type { ListQuery } from './api.ts';
import { HIGHLIGHT_MS, PAGE_SIZE } from './config.ts';
import { useLandingOps } from './landing-ops.ts';
import type { VersionedRow } from './live-rows.ts';
import { type MarkedRow, overlayQueued } from './optimistic.ts';
import { useQueue } from './queue.tsx';
import { useReplica } from './replica.tsx';
import { useReplicaChanges } from './use-replica-changes.ts';

export interface ResourceList<T> {
  rows: MarkedRow<T>[];
  loading: boolean;
  error: string | undefined;
  /** Ids changed by a live event in the last moments (for the highlight). */
  highlighted: ReadonlySet<string>;
  page: number;
  hasNext: boolean;
  next(): void;
  prev(): void;
  reload(): void;
}

/** The replica query for a list's filters (`from`/`to` are report dates). */
export function replicaQuery<T>(
  resource: ResourceName,
  query: Omit<ListQuery, 'cursor' | 'limit'>,
): ReplicaQuery<T> {
  const where: ReplicaQuery<T>['where'] = {};
  if (query.status) where.status = query.status;
  if (resource === 'reports' && (query.from || query.to)) {
    where.reportDate = { from: query.from || undefined, to: query.to || undefined };
  }
  return { branchId: query.branchId || undefined, where, sort: { by: 'createdAt', dir: 'desc' } };
}

/**
 * One page of a resource list, read from the device's replica: it renders at
 * once (also offline), follows every change the replica stores (briefly
 * highlighted), and lays the queued offline writes on top. The whole list is
 * on the device, so paging is local too.
 */
export function useResourceList<T extends VersionedRow>(
  resource: ResourceName,
  query: Omit<ListQuery, 'cursor' | 'limit'>,
  matches?: (row: T) => boolean,
): ResourceList<T> {
  const { replica, status } = useReplica();
  const ops = useLandingOps(useQueue().ops);
  const [rows, setRows] = useState<T[]>([]);
  const [total, setTotal] = useState(0);
  const [loaded, setLoaded] = useState(false);
  const [error, setError] = useState<string>();
  const [page, setPage] = useState(1);
  const [highlighted, setHighlighted] = useState<ReadonlySet<string>>(new Set());
  const timers = useRef(new Map<string, ReturnType<typeof setTimeout>>());
  const matchesRef = useRef(matches);
  matchesRef.current = matches;
  const queryKey = JSON.stringify(query);
  const hasData = status?.hasData === true;

  // A new filter starts again from the first page.
  useEffect(() => setPage(1), [queryKey]);

  const highlight = useCallback((ids: string[]) => {
    for (const id of ids) {
      setHighlighted((s) => new Set(s).add(id));
      clearTimeout(timers.current.get(id));
      timers.current.set(
        id,
        setTimeout(() => {
          timers.current.delete(id);
          setHighlighted((s) => {
            const copy = new Set(s);
            copy.delete(id);
            return copy;
          });
        }, HIGHLIGHT_MS),
      );
    }
  }, []);

  const changes = useReplicaChanges(resource, (change) => {
    if (!change.reset) highlight(change.ids);
  });

  useEffect(() => {
    if (!replica) return;
    let live = true;
    const filter = matchesRef.current;
    replica
      .query<T>(resource, {
        ...replicaQuery<T>(resource, JSON.parse(queryKey) as ListQuery),
        ...(filter ? { filter } : {}),
        offset: (page - 1) * PAGE_SIZE,
        limit: PAGE_SIZE,
      })
      .then((result) => {
        if (!live) return;
        setRows(result.items);
        setTotal(result.total);
        setLoaded(true);
        setError(undefined);
      })
      .catch((err: unknown) => {
        if (live) setError(err instanceof Error ? err.message : String(err));
      });
    return () => {
      live = false;
    };
  }, [replica, resource, queryKey, page, changes, hasData]);

  useEffect(() => {
    const map = timers.current;
    return () => {
      for (const t of map.values()) clearTimeout(t);
    };
  }, []);

  return {
    rows: overlayQueued(rows, ops, resource, query.branchId),
    loading: !loaded || (!hasData && rows.length === 0),
    error,
    highlighted,
    page,
    hasNext: page * PAGE_SIZE < total,
    next: () => setPage((p) => (p * PAGE_SIZE < total ? p + 1 : p)),
    prev: () => setPage((p) => Math.max(1, p - 1)),
    reload: () => void replica?.resnapshot(),
  };
}
