import { formatAgo, formatDateTime } from '../lib/format.ts';
import { useReplica } from '../lib/replica.tsx';
import { useOnline } from '../lib/use-online.ts';

const reasons = {
  starting: 'opening this device’s copy',
  snapshotting: 'loading',
  'catching-up': 'catching up',
  offline: 'offline',
  online: 'offline',
  stopped: 'stopped',
} as const;

/**
 * How fresh the lists are. Live: nothing to say. Otherwise the lists show
 * this device's copy "as of" the last time it was in sync; a storage failure
 * (a full disk) is shown, never hidden.
 */
export function SyncStatus() {
  const { status } = useReplica();
  const online = useOnline();
  if (!status) return null;
  const live = status.state === 'online' && online;
  const error =
    status.error?.name === 'QuotaExceededError' ? (
      <p className="banner banner-warn" role="alert" data-testid="replica-error">
        This device is out of storage space: new changes are not being saved on it. Free some space
        or sign out of other sessions.
      </p>
    ) : null;
  if (live) return error;
  const at = status.lastSyncedAt;
  const reason = online ? reasons[status.state] : 'offline';
  return (
    <>
      <p
        className="banner banner-asof"
        role="status"
        data-testid="as-of"
        data-state={status.state}
        data-synced-at={at ?? ''}
      >
        {status.hasData && at !== null ? (
          <>
            Showing data as of {formatDateTime(new Date(at).toISOString())} ({formatAgo(at)},{' '}
            {reason})
          </>
        ) : (
          <>No data on this device yet ({reason}); lists fill in once connected.</>
        )}
      </p>
      {error}
    </>
  );
}
