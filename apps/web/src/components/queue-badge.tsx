import { useQueue } from '../lib/queue.tsx';

/** The pending count in the header; links to the queue panel. */
export function QueueBadge() {
  const { stats } = useQueue();
  const pending = (stats?.pending ?? 0) + (stats?.syncing ?? 0);
  const trouble = (stats?.failed ?? 0) + (stats?.conflicts ?? 0);
  const label = `${pending} pending${trouble > 0 ? `, ${trouble} need attention` : ''}`;
  return (
    <a
      href="#/queue"
      className={trouble > 0 ? 'badge badge-warn' : 'badge'}
      aria-label={`Sync queue: ${label}`}
      data-testid="queue-badge"
      data-pending={pending}
      data-trouble={trouble}
    >
      Queue {pending}
      {trouble > 0 ? ` · ${trouble}!` : ''}
    </a>
  );
}
