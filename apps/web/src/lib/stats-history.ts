/** One gateway replica as `GET /stats` reports it. */
export interface ReplicaStats {
  replicaId: string;
  url: string;
  connections: number;
  rooms: number;
  eventsPerSec: number;
  deliveriesPerSec: number;
  draining: boolean;
  startedAt: string;
}

/** The cluster-wide answer of the gateways' `GET /stats`. */
export interface ClusterStats {
  replicas: ReplicaStats[];
  totals: { replicas: number; connections: number; eventsPerSec: number; deliveriesPerSec: number };
}

/** Rolling series per metric key (e.g. `total:eventsPerSec`, `<replica>:connections`). */
export type History = Record<string, number[]>;

/** Appends a stats sample to the history, keeping the last `keep` points per series. */
export function pushSample(history: History, stats: ClusterStats, keep = 60): History {
  const next: History = {};
  const add = (key: string, value: number) => {
    next[key] = [...(history[key] ?? []), value].slice(-keep);
  };
  add('total:replicas', stats.totals.replicas);
  add('total:connections', stats.totals.connections);
  add('total:eventsPerSec', stats.totals.eventsPerSec);
  add('total:deliveriesPerSec', stats.totals.deliveriesPerSec);
  for (const r of stats.replicas) {
    add(`${r.replicaId}:connections`, r.connections);
    add(`${r.replicaId}:eventsPerSec`, r.eventsPerSec);
  }
  return next;
}
