import type { HistoryEntry, ResourceName } from '@dynapharm/types';
import { useEffect, useState } from 'react';
import { formatDateTime, formatValue } from '../lib/format.ts';
import { fetchHistory } from '../lib/history.ts';
import { useBranchName } from '../lib/session.tsx';
import { Dialog } from './dialog.tsx';

interface HistoryPanelProps {
  resource: ResourceName;
  /** The record; undefined closes the panel. */
  id: string | undefined;
  /** What the record is called in the title ("client Amina Okello"). */
  title: string;
  /** Field labels of the resource's form; other fields show their camelCase name as words. */
  labels: Readonly<Record<string, string>>;
  onClose(): void;
}

const actionLabels = { created: 'Created', updated: 'Updated', deleted: 'Deleted' } as const;

function labelOf(field: string, labels: Readonly<Record<string, string>>): string {
  if (labels[field]) return labels[field];
  const words = field.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/**
 * Every change of one record, newest first: who, when, from which operation,
 * and each changed field with its value before and after. Read from the API
 * (the change log and its archive), so it needs a connection.
 */
export function HistoryPanel({ resource, id, title, labels, onClose }: HistoryPanelProps) {
  const [entries, setEntries] = useState<HistoryEntry[]>([]);
  const [next, setNext] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<string>();
  const branchName = useBranchName();
  /** A branch id reads as the branch's name, like in the lists. */
  const show = (field: string, value: unknown) =>
    field === 'branchId' && typeof value === 'string' ? branchName(value) : formatValue(value);

  useEffect(() => {
    if (!id) return;
    let cancelled = false;
    setEntries([]);
    setNext(null);
    setError(undefined);
    setLoading(true);
    fetchHistory(resource, id)
      .then((page) => {
        if (cancelled) return;
        setEntries(page.items);
        setNext(page.nextCursor);
      })
      .catch((err: unknown) => {
        if (!cancelled) setError(messageOf(err));
      })
      .finally(() => {
        if (!cancelled) setLoading(false);
      });
    return () => {
      cancelled = true;
    };
  }, [resource, id]);

  const loadOlder = async () => {
    if (!id || !next) return;
    setLoading(true);
    try {
      const page = await fetchHistory(resource, id, next);
      setEntries((e) => [...e, ...page.items]);
      setNext(page.nextCursor);
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setLoading(false);
    }
  };

  return (
    <Dialog title={`History of ${title}`} open={id !== undefined} onClose={onClose} wide>
      {error ? (
        <p className="form-error" role="alert">
          Could not load the history: {error}
        </p>
      ) : null}
      {entries.length === 0 && loading ? <p className="hint">Loading…</p> : null}
      {entries.length === 0 && !loading && !error ? (
        <p className="hint">No changes on record.</p>
      ) : null}
      <ol className="history" aria-label="Changes, newest first">
        {entries.map((entry) => (
          <li
            key={`${entry.version}-${entry.at}`}
            className="history-entry"
            data-version={entry.version}
          >
            <p className="history-meta">
              <strong>
                {actionLabels[entry.action]} · version {entry.version}
              </strong>{' '}
              by{' '}
              <span className="history-actor">{entry.actorName ?? entry.actor ?? 'unknown'}</span>
              {entry.actorName && entry.actor ? (
                <span className="hint"> ({entry.actor})</span>
              ) : null}{' '}
              at <time dateTime={entry.at}>{formatDateTime(entry.at)}</time>
            </p>
            <p className="history-origin hint">
              Origin: {entry.origin ? <code>{entry.origin}</code> : 'not recorded'}
              {entry.archived ? ' · from the archive' : ''}
            </p>
            {entry.changes === null ? (
              <p className="hint">The version before is no longer on record.</p>
            ) : entry.changes.length === 0 ? (
              <p className="hint">No field changed.</p>
            ) : (
              <table className="table history-changes">
                <caption className="sr-only">Fields changed in version {entry.version}</caption>
                <thead>
                  <tr>
                    <th scope="col">Field</th>
                    <th scope="col">Before</th>
                    <th scope="col">After</th>
                  </tr>
                </thead>
                <tbody>
                  {entry.changes.map((c) => (
                    <tr key={c.field} data-field={c.field}>
                      <th scope="row">{labelOf(c.field, labels)}</th>
                      <td data-label="Before">{show(c.field, c.before)}</td>
                      <td data-label="After">
                        <span aria-hidden="true">→ </span>
                        {show(c.field, c.after)}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </li>
        ))}
      </ol>
      {next ? (
        <div className="form-actions">
          <button type="button" disabled={loading} onClick={() => void loadOlder()}>
            {loading ? 'Loading…' : 'Older changes'}
          </button>
        </div>
      ) : null}
    </Dialog>
  );
}

function messageOf(err: unknown): string {
  if (err instanceof TypeError) return 'no connection to the server';
  return err instanceof Error ? err.message : String(err);
}
