import type { ResourceName } from '@dynapharm/types';
import { useEffect, useState } from 'react';
import type { ListQuery } from './api.ts';
import { useReplica } from './replica.tsx';
import { useReplicaChanges } from './use-replica-changes.ts';
import { replicaQuery } from './use-resource-list.ts';

/**
 * Every row of a resource keyed by id, from the device's replica and kept
 * current: for names in other lists (the product of a stock row, the client of
 * an order) and for pickers.
 */
export function useLookup<T extends { id: string; version: number }>(
  resource: ResourceName,
  query: Omit<ListQuery, 'cursor' | 'limit'> = {},
): ReadonlyMap<string, T> {
  const { replica, status } = useReplica();
  const [rows, setRows] = useState<ReadonlyMap<string, T>>(new Map());
  const key = JSON.stringify(query);
  const changes = useReplicaChanges(resource);
  const hasData = status?.hasData === true;
  useEffect(() => {
    if (!replica) return;
    let live = true;
    replica
      .query<T>(resource, replicaQuery<T>(resource, JSON.parse(key) as ListQuery))
      .then(({ items }) => {
        if (live) setRows(new Map(items.map((r) => [r.id, r])));
      })
      .catch(() => undefined);
    return () => {
      live = false;
    };
  }, [replica, resource, key, changes, hasData]);
  return rows;
}
