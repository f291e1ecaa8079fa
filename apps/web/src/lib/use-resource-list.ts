import type { ResourceName } from '@dynapharm/types';
import { useCallback, useEffect, useRef, useState } from 'react';
import { type ListQuery, listResource } from './api.ts';
import { HIGHLIGHT_MS, PAGE_SIZE } from './config.ts';
import { applyLiveChange, type VersionedRow } from './live-rows.ts';
import { type MarkedRow, overlayQueued } from './optimistic.ts';
import { useQueue } from './queue.tsx';
import { useLiveChanges, useRealtime } from './realtime.tsx';

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

/**
 * One page of a resource list that stays live: cursor paging from the API,
 * live changes merged by version (and briefly highlighted), and the queued
 * offline writes laid on top.
 */
export function useResourceList<T extends VersionedRow>(
  resource: ResourceName,
  query: Omit<ListQuery, 'cursor' | 'limit'>,
  matches?: (row: T) => boolean,
): ResourceList<T> {
  const { resyncCount, connected } = useRealtime();
  const { ops } = useQueue();
  const [rows, setRows] = useState<T[]>([]);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<string>();
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const [nextCursor, setNextCursor] = useState<string | null>(null);
  const [reloads, setReloads] = useState(0);
  const [highlighted, setHighlighted] = useState<ReadonlySet<string>>(new Set());
  const timers = useRef(new Map<string, ReturnType<typeof setTimeout>>());
  const queryKey = JSON.stringify(query);
  const cursor = cursors[cursors.length - 1];

  // A new filter starts again from the first page.
  useEffect(() => setCursors([undefined]), [queryKey]);

  useEffect(() => {
    let live = true;
    setLoading(true);
    listResource<T>(resource, { ...(JSON.parse(queryKey) as ListQuery), cursor, limit: PAGE_SIZE })
      .then((page) => {
        if (!live) return;
        setRows(page.items);
        setNextCursor(page.nextCursor);
        setError(undefined);
      })
      .catch((err: unknown) => {
        if (live) setError(err instanceof Error ? err.message : String(err));
      })
      .finally(() => {
        if (live) setLoading(false);
      });
    return () => {
      live = false;
    };
  }, [resource, queryKey, cursor, reloads, resyncCount]);

  // A page loaded offline (say, reloaded from the service worker's cache) has
  // no rows yet: load them once the connection is back. Live events cover the rest.
  const failed = error !== undefined;
  useEffect(() => {
    if (connected && failed) setReloads((n) => n + 1);
  }, [connected, failed]);

  useEffect(() => {
    const map = timers.current;
    return () => {
      for (const t of map.values()) clearTimeout(t);
    };
  }, []);

  const highlight = useCallback((id: string) => {
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
  }, []);

  useLiveChanges(resource, (event) => {
    setRows(
      (current) => applyLiveChange(current, event, { branchId: query.branchId, matches }).rows,
    );
    if (event.action !== 'deleted') highlight(event.id);
  });

  return {
    rows: overlayQueued(rows, ops, resource, query.branchId),
    loading,
    error,
    highlighted,
    page: cursors.length,
    hasNext: nextCursor !== null,
    next: () => {
      if (nextCursor) setCursors((c) => [...c, nextCursor]);
    },
    prev: () => setCursors((c) => (c.length > 1 ? c.slice(0, -1) : c)),
    reload: () => setReloads((n) => n + 1),
  };
}
