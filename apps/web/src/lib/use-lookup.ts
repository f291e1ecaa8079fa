import type { ResourceName } from '@dynapharm/types';
import { useEffect, useState } from 'react';
import { type ListQuery, listAll } from './api.ts';
import { useLiveChanges } from './realtime.tsx';

/**
 * Every row of a small resource keyed by id, kept live: for names in other
 * lists (the product of a stock row, the client of an order) and for pickers.
 */
export function useLookup<T extends { id: string; version: number }>(
  resource: ResourceName,
  query: Omit<ListQuery, 'cursor' | 'limit'> = {},
): ReadonlyMap<string, T> {
  const [rows, setRows] = useState<ReadonlyMap<string, T>>(new Map());
  const key = JSON.stringify(query);
  useEffect(() => {
    let live = true;
    listAll<T>(resource, JSON.parse(key) as ListQuery)
      .then((all) => {
        if (live) setRows(new Map(all.map((r) => [r.id, r])));
      })
      .catch(() => undefined);
    return () => {
      live = false;
    };
  }, [resource, key]);
  useLiveChanges(resource, (event) => {
    setRows((current) => {
      const prev = current.get(event.id);
      if (prev && prev.version >= event.version) return current;
      const next = new Map(current);
      if (event.action === 'deleted') next.delete(event.id);
      else
        next.set(event.id, { ...prev, ...event.data, id: event.id, version: event.version } as T);
      return next;
    });
  });
  return rows;
}
