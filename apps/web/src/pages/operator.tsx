import { useState } from 'react';
import { DeviceLag } from '../components/device-lag.tsx';
import { OpsStatusPanel } from '../components/ops-status.tsx';
import { Sparkline } from '../components/sparkline.tsx';
import { GATEWAY_STATS_URL } from '../lib/config.ts';
import { formatDateTime } from '../lib/format.ts';
import { useRealtime } from '../lib/realtime.tsx';
import { type ClusterStats, type History, pushSample } from '../lib/stats-history.ts';
import { fetchJson, usePoll } from '../lib/use-poll.ts';

/** Operators' view of the gateway cluster: replicas, connections and events per second, live. */
export function OperatorPage() {
  const { replicaId } = useRealtime();
  const [history, setHistory] = useState<History>({});
  const { data: stats, error } = usePoll(
    'stats',
    async () => {
      const next = await fetchJson<ClusterStats>(GATEWAY_STATS_URL);
      setHistory((h) => pushSample(h, next));
      return next;
    },
    1000,
  );

  return (
    <section className="page" aria-labelledby="operator-title">
      <h1 id="operator-title">Operator</h1>
      {error ? (
        <p className="form-error" role="alert">
          Gateway stats unavailable ({GATEWAY_STATS_URL}): {error}
        </p>
      ) : null}
      <div className="cards">
        <Sparkline label="Replicas" values={history['total:replicas'] ?? []} />
        <Sparkline label="Connections" values={history['total:connections'] ?? []} />
        <Sparkline label="Events/s" values={history['total:eventsPerSec'] ?? []} />
        <Sparkline label="Deliveries/s" values={history['total:deliveriesPerSec'] ?? []} />
      </div>
      <h2>Replicas</h2>
      <div className="table-wrap">
        <table className="table">
          <thead>
            <tr>
              <th scope="col">Replica</th>
              <th scope="col">Connections</th>
              <th scope="col">Events/s</th>
              <th scope="col" className="secondary">
                Rooms
              </th>
              <th scope="col" className="secondary">
                Since
              </th>
            </tr>
          </thead>
          <tbody>
            {stats?.replicas.map((r) => (
              <tr key={r.replicaId}>
                <th scope="row" data-label="Replica">
                  {r.replicaId}
                  {r.replicaId === replicaId ? ' (this page)' : ''}
                  {r.draining ? ' · draining' : ''}
                </th>
                <td data-label="Connections">
                  <Sparkline
                    label="now"
                    values={history[`${r.replicaId}:connections`] ?? []}
                    width={100}
                    height={24}
                  />
                </td>
                <td data-label="Events/s">
                  <Sparkline
                    label="now"
                    values={history[`${r.replicaId}:eventsPerSec`] ?? []}
                    width={100}
                    height={24}
                  />
                </td>
                <td data-label="Rooms" className="secondary">
                  {r.rooms}
                </td>
                <td data-label="Since" className="secondary">
                  {formatDateTime(r.startedAt)}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <OpsStatusPanel />
      <DeviceLag />
    </section>
  );
}
