import type { QueuedOperation } from '@dynapharm/offline-sync';
import { useState } from 'react';
import { ConflictDialog } from '../components/conflict-dialog.tsx';
import { apiFieldErrors } from '../lib/form-errors.ts';
import { formatAgo, formatValue } from '../lib/format.ts';
import { useQueue } from '../lib/queue.tsx';

function summary(op: QueuedOperation) {
  const name = op.data.fullName ?? op.data.name ?? op.data.status ?? op.data.sku;
  return `${op.action} ${op.resource}${name ? ` · ${formatValue(name)}` : ''}`;
}

function Reason({ op }: { op: QueuedOperation }) {
  if (!op.lastError) return null;
  const fields = Object.entries(apiFieldErrors(op.lastError.details));
  return (
    <div className="reason">
      {op.lastError.message}
      {op.lastError.status ? ` (HTTP ${op.lastError.status}, ${op.lastError.code})` : ''}
      {fields.length > 0 ? (
        <ul>
          {fields.map(([path, message]) => (
            <li key={path}>
              <code>{path}</code>: {message}
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}

/** Writes not yet on the server: pending, refused (with the server's reason) and in conflict. */
export function QueuePage() {
  const { queue, ops, stats } = useQueue();
  const [resolving, setResolving] = useState<QueuedOperation>();
  const groups = [
    { title: 'Conflicts', items: ops.filter((o) => o.status === 'conflict') },
    { title: 'Refused by the server', items: ops.filter((o) => o.status === 'rejected') },
    {
      title: 'Waiting to sync',
      items: ops.filter((o) => o.status === 'pending' || o.status === 'syncing'),
    },
  ];
  return (
    <section className="page" aria-labelledby="queue-title">
      <div className="page-head">
        <h1 id="queue-title">Sync queue</h1>
        <button
          type="button"
          className="primary"
          onClick={() => void queue?.syncAll().catch(() => undefined)}
        >
          Sync now
        </button>
      </div>
      <p>
        {stats?.total ?? 0} operation(s) queued · last sync {formatAgo(stats?.lastSyncAt)}
      </p>
      {groups.map((g) => (
        <div key={g.title} className="queue-group">
          <h2>
            {g.title} ({g.items.length})
          </h2>
          {g.items.length === 0 ? <p className="empty">None.</p> : null}
          <ul className="queue-list">
            {g.items.map((op) => (
              <li
                key={op.opId}
                className={`queue-item queue-${op.status}`}
                data-testid="queue-item"
                data-status={op.status}
                data-record-id={op.recordId}
              >
                <div>
                  <strong>{summary(op)}</strong>
                  <small>
                    {' '}
                    · {op.status} · queued {formatAgo(op.createdAt)}
                    {op.attempts > 0 ? ` · ${op.attempts} attempt(s)` : ''}
                  </small>
                  <Reason op={op} />
                </div>
                <div className="actions">
                  {op.status === 'conflict' ? (
                    <button type="button" className="primary" onClick={() => setResolving(op)}>
                      Resolve
                    </button>
                  ) : null}
                  {op.status === 'rejected' ? (
                    <button
                      type="button"
                      onClick={() => void queue?.retry(op.opId).catch(() => undefined)}
                    >
                      Retry
                    </button>
                  ) : null}
                  {op.status !== 'syncing' ? (
                    <button
                      type="button"
                      onClick={() => void queue?.discard(op.opId).catch(() => undefined)}
                    >
                      Discard
                    </button>
                  ) : null}
                </div>
              </li>
            ))}
          </ul>
        </div>
      ))}
      {resolving ? <ConflictDialog op={resolving} onClose={() => setResolving(undefined)} /> : null}
    </section>
  );
}
