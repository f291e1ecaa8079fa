import type { DeviceStatus } from '@dynapharm/types';
import { GATEWAY_DEVICES_URL } from '../lib/config.ts';
import { formatDateTime } from '../lib/format.ts';
import { useBranchName, useSession } from '../lib/session.tsx';
import { fetchJson, usePoll } from '../lib/use-poll.ts';

interface DevicesAnswer {
  head: number | null;
  epoch: string | null;
  devices: DeviceStatus[];
}

/**
 * Devices of the operator's branches with the stream offset they acknowledged
 * and how far behind the head they are, most behind first, per branch.
 */
export function DeviceLag() {
  const { session } = useSession();
  const branchName = useBranchName();
  const token = session?.token;
  const role = session?.user.role;
  const { data: answer, error } = usePoll(
    token && role !== 'staff' ? token : null,
    () => fetchJson<DevicesAnswer>(GATEWAY_DEVICES_URL, token),
    3000,
  );

  if (role === 'staff') return null;
  // The answer is sorted most-behind first; grouping keeps that order inside each branch.
  const groups = new Map<string, DeviceStatus[]>();
  for (const device of answer?.devices ?? []) {
    for (const branch of device.branches.length > 0 ? device.branches : ['']) {
      groups.set(branch, [...(groups.get(branch) ?? []), device]);
    }
  }
  return (
    <section aria-labelledby="devices-title">
      <h2 id="devices-title">Devices</h2>
      {error ? (
        <p className="form-error" role="alert">
          Device lag unavailable ({GATEWAY_DEVICES_URL}): {error}
        </p>
      ) : null}
      <p className="hint">
        Stream head {answer?.head ?? '—'}. Lag counts every change of the stream, also those of
        other branches; a device catches up on those at its next catch-up.
      </p>
      {answer && groups.size === 0 ? <p>No device has acknowledged an offset yet.</p> : null}
      {[...groups].map(([branch, devices]) => (
        <div key={branch} className="table-wrap">
          <h3>{branch ? branchName(branch) : 'No branch'}</h3>
          <table className="table" data-testid={`devices-${branch}`}>
            <thead>
              <tr>
                <th scope="col">Device</th>
                <th scope="col">User</th>
                <th scope="col">Replica</th>
                <th scope="col">Offset</th>
                <th scope="col">Behind (changes)</th>
                <th scope="col">Behind (s)</th>
                <th scope="col" className="secondary">
                  Last seen
                </th>
              </tr>
            </thead>
            <tbody>
              {devices.map((d) => (
                <tr key={`${d.deviceId}/${d.replica}`} data-device={d.deviceId}>
                  <th scope="row" data-label="Device">
                    {d.deviceId.slice(0, 12)}
                  </th>
                  <td data-label="User">{d.userId}</td>
                  <td data-label="Replica">
                    {d.replica} · {d.gateway}
                  </td>
                  <td data-label="Offset">{d.offset}</td>
                  <td data-label="Behind (changes)">{d.lagChanges ?? 'other epoch'}</td>
                  <td data-label="Behind (s)">{d.lagSeconds ?? '—'}</td>
                  <td data-label="Last seen" className="secondary">
                    {formatDateTime(d.lastSeenAt)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ))}
    </section>
  );
}
