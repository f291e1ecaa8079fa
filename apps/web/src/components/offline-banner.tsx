import { useQueue } from '../lib/queue.tsx';
import { useOnline } from '../lib/use-online.ts';

/** Says the branch is offline and how many writes wait to be sent. */
export function OfflineBanner() {
  const online = useOnline();
  const { stats } = useQueue();
  const waiting = (stats?.pending ?? 0) + (stats?.syncing ?? 0);
  if (online) return null;
  return (
    <div className="banner banner-offline" role="status" data-testid="offline-banner">
      You are offline. Changes are saved on this device
      {waiting > 0 ? ` (${waiting} waiting)` : ''} and will sync when the network is back.
    </div>
  );
}
