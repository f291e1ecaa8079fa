import type { ReactNode } from 'react';
import type { VersionedRow } from '../lib/live-rows.ts';
import type { MarkedRow } from '../lib/optimistic.ts';

export interface Column<T> {
  key: string;
  label: string;
  render?: (row: MarkedRow<T>) => ReactNode;
  /** Hidden on narrow screens. */
  secondary?: boolean;
}

interface DataTableProps<T> {
  caption: string;
  columns: readonly Column<T>[];
  rows: readonly MarkedRow<T>[];
  highlighted: ReadonlySet<string>;
  actions?: (row: MarkedRow<T>) => ReactNode;
  empty?: string;
}

const markLabels = {
  pending: 'waiting to sync',
  deleting: 'delete waiting to sync',
  rejected: 'refused by the server',
  conflict: 'conflict',
} as const;

/** A list table; rows changed live flash briefly, queued rows carry a sync mark. */
export function DataTable<T extends VersionedRow>(props: DataTableProps<T>) {
  const { caption, columns, rows, highlighted, actions, empty } = props;
  return (
    <div className="table-wrap">
      <table className="table">
        <caption className="sr-only">{caption}</caption>
        <thead>
          <tr>
            {columns.map((c) => (
              <th key={c.key} scope="col" className={c.secondary ? 'secondary' : undefined}>
                {c.label}
              </th>
            ))}
            {actions ? <th scope="col">Actions</th> : null}
          </tr>
        </thead>
        <tbody>
          {rows.length === 0 ? (
            <tr>
              <td colSpan={columns.length + (actions ? 1 : 0)} className="empty">
                {empty ?? 'Nothing here yet.'}
              </td>
            </tr>
          ) : null}
          {rows.map((row) => (
            <tr
              key={`${row.id}-${highlighted.has(row.id) ? row.version : 'x'}`}
              className={
                [highlighted.has(row.id) ? 'flash' : '', row.syncMark ? `mark-${row.syncMark}` : '']
                  .join(' ')
                  .trim() || undefined
              }
              data-id={row.id}
              data-version={row.version}
              data-sync={row.syncMark}
            >
              {columns.map((c, i) => (
                <td
                  key={c.key}
                  data-label={c.label}
                  className={c.secondary ? 'secondary' : undefined}
                >
                  {c.render
                    ? c.render(row)
                    : String((row as Record<string, unknown>)[c.key] ?? '—')}
                  {i === 0 && row.syncMark ? (
                    <span className={`sync-mark sync-${row.syncMark}`}>
                      {markLabels[row.syncMark]}
                    </span>
                  ) : null}
                </td>
              ))}
              {actions ? <td className="actions">{actions(row)}</td> : null}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
