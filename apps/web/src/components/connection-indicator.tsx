import { useRealtime } from '../lib/realtime.tsx';
import { useOnline } from '../lib/use-online.ts';

/** Live or not, and which gateway replica this page is connected to. */
export function ConnectionIndicator() {
  const realtime = useRealtime();
  // A socket can look open for a while after the network went away; trust the browser first.
  const online = useOnline();
  const connected = realtime.connected && online;
  const { replicaId } = realtime;
  return (
    <output
      className={connected ? 'conn conn-on' : 'conn conn-off'}
      data-testid="connection"
      data-state={connected ? 'live' : 'offline'}
      data-replica={connected ? replicaId : undefined}
      title={connected ? `Connected to gateway replica ${replicaId ?? '?'}` : 'Reconnecting…'}
    >
      <span className="conn-dot" aria-hidden="true" />
      {connected ? (
        <>
          Live <span className="conn-replica">· {replicaId ?? 'unknown replica'}</span>
        </>
      ) : (
        'Reconnecting…'
      )}
    </output>
  );
}
