import { hasCapability, type OpsStatus, opsStatusSchema } from '@dynapharm/types';
import { apiFetch } from '../lib/api.ts';
import { formatDateTime } from '../lib/format.ts';
import { useSession } from '../lib/session.tsx';
import { usePoll } from '../lib/use-poll.ts';

const OPS_STATUS_PATH = '/api/ops/status';

const relayWords: Record<OpsStatus['relay']['status'], string> = {
  ok: 'publishing',
  lagging: 'behind',
  no_leader: 'no leader',
};

/**
 * The relay's lag and Prometheus' alerts (`GET /api/ops/status`, admins only),
 * shown on the Operator page next to the gateway replicas. Refreshes every 3 s.
 */
export function OpsStatusPanel() {
  const { session } = useSession();
  const token = session?.token;
  const allowed = hasCapability(session?.user.role, 'ops:read');
  const { data: status, error } = usePoll(
    token && allowed ? token : null,
    async () => opsStatusSchema.parse(await apiFetch<unknown>(OPS_STATUS_PATH)),
    3000,
  );

  if (!allowed) return null;
  const relay = status?.relay;
  const alerts = status?.alerts;
  return (
    <section aria-labelledby="ops-title" data-testid="ops-status">
      <h2 id="ops-title">Relay and alerts</h2>
      {error ? (
        <p className="form-error" role="alert">
          Operations status unavailable ({OPS_STATUS_PATH}): {error}
        </p>
      ) : null}
      {relay ? (
        <div className="table-wrap">
          <table className="table" data-testid="relay-status">
            <thead>
              <tr>
                <th scope="col">Relay</th>
                <th scope="col">Head</th>
                <th scope="col">Published</th>
                <th scope="col">Lag (changes)</th>
                <th scope="col">Lag (s)</th>
                <th scope="col" className="secondary">
                  Epoch
                </th>
              </tr>
            </thead>
            <tbody>
              <tr data-relay-status={relay.status}>
                <th scope="row" data-label="Relay">
                  <span className={relay.status === 'ok' ? 'badge' : 'badge badge-warn'}>
                    {relayWords[relay.status]}
                  </span>
                </th>
                <td data-label="Head">{relay.head}</td>
                <td data-label="Published">{relay.publishedOffset}</td>
                <td data-label="Lag (changes)" data-testid="relay-lag-changes">
                  {relay.lag.changes}
                  {relay.unclaimed > 0 ? ` (${relay.unclaimed} unclaimed)` : ''}
                </td>
                <td data-label="Lag (s)" data-testid="relay-lag-seconds">
                  {relay.lag.seconds.toFixed(1)}
                </td>
                <td data-label="Epoch" className="secondary">
                  {relay.epoch?.slice(0, 8) ?? '—'}
                </td>
              </tr>
            </tbody>
          </table>
        </div>
      ) : null}
      {alerts?.status === 'not_configured' ? (
        <p className="hint">
          Alerts are not shown: the API has no <code>PROMETHEUS_URL</code>.
        </p>
      ) : null}
      {alerts?.status === 'unavailable' ? (
        <p className="form-error" role="alert" data-testid="alerts-unavailable">
          Alerts unavailable: {alerts.reason}
        </p>
      ) : null}
      {alerts?.status === 'ok' && alerts.alerts.length === 0 ? (
        <p data-testid="alerts-none">No alert is firing or pending.</p>
      ) : null}
      {alerts?.status === 'ok' && alerts.alerts.length > 0 ? (
        <div className="table-wrap">
          <table className="table" data-testid="alerts">
            <thead>
              <tr>
                <th scope="col">Alert</th>
                <th scope="col">State</th>
                <th scope="col">Severity</th>
                <th scope="col">Summary</th>
                <th scope="col" className="secondary">
                  Since
                </th>
              </tr>
            </thead>
            <tbody>
              {alerts.alerts.map((a) => (
                <tr key={`${a.name}/${JSON.stringify(a.labels)}`} data-alert={a.name}>
                  <th scope="row" data-label="Alert">
                    {a.name}
                  </th>
                  <td data-label="State">
                    <span className={a.state === 'firing' ? 'badge badge-warn' : 'badge'}>
                      {a.state}
                    </span>
                  </td>
                  <td data-label="Severity">{a.severity ?? '—'}</td>
                  <td data-label="Summary">{a.summary ?? '—'}</td>
                  <td data-label="Since" className="secondary">
                    {formatDateTime(a.activeAt)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </section>
  );
}
