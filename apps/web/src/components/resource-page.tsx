import type { ResourceName } from '@dynapharm/types';
import { type ReactNode, useState } from 'react';
import type { z } from 'zod';
import type { ListQuery } from '../lib/api.ts';
import type { VersionedRow } from '../lib/live-rows.ts';
import type { MarkedRow } from '../lib/optimistic.ts';
import { useQueue } from '../lib/queue.tsx';
import { submitWrite } from '../lib/submit-write.ts';
import { useCan } from '../lib/use-can.ts';
import { useResourceList } from '../lib/use-resource-list.ts';
import { type Column, DataTable } from './data-table.tsx';
import { Dialog } from './dialog.tsx';
import type { FieldSpec } from './field.tsx';
import { HistoryPanel } from './history-panel.tsx';
import { Pager } from './pager.tsx';
import { ResourceForm } from './resource-form.tsx';

export interface ResourcePageProps<T extends VersionedRow> {
  resource: ResourceName;
  title: string;
  singular: string;
  columns: readonly Column<T>[];
  fields: readonly FieldSpec[];
  createSchema: z.ZodType;
  updateSchema: z.ZodType;
  /** Values a new record starts with (the selected branch, defaults). */
  createDefaults: Record<string, unknown>;
  query: Omit<ListQuery, 'cursor' | 'limit'>;
  /** Filters and other controls above the table. */
  toolbar?: ReactNode;
  /** Extra row actions (order status moves). */
  rowActions?: (row: MarkedRow<T>) => ReactNode;
  /** Replaces the generated create form (orders). */
  createForm?: (close: () => void) => ReactNode;
}

type Editing<T> = { mode: 'create' } | { mode: 'edit'; row: MarkedRow<T> } | undefined;

/** A live, paged list of one resource with create and edit dialogs; writes go through the offline queue. */
export function ResourcePage<T extends VersionedRow>(props: ResourcePageProps<T>) {
  const { resource, title, singular, columns, fields, query } = props;
  const may = useCan();
  const list = useResourceList<T>(resource, query);
  const { queue } = useQueue();
  const [editing, setEditing] = useState<Editing<T>>();
  const [historyOf, setHistoryOf] = useState<{ id: string; title: string }>();
  const close = () => setEditing(undefined);
  const labels = Object.fromEntries(fields.map((f) => [f.name, f.label]));
  const current =
    editing?.mode === 'edit' ? list.rows.find((r) => r.id === editing.row.id) : undefined;
  const staleBy =
    editing?.mode === 'edit' && current && current.version > editing.row.version
      ? current.version
      : 0;

  return (
    <section className="page" aria-labelledby={`${resource}-title`}>
      <div className="page-head">
        <h1 id={`${resource}-title`}>{title}</h1>
        {may(resource, 'create') ? (
          <button type="button" className="primary" onClick={() => setEditing({ mode: 'create' })}>
            New {singular}
          </button>
        ) : null}
      </div>
      {props.toolbar ? <div className="toolbar">{props.toolbar}</div> : null}
      {list.error ? (
        <p className="form-error" role="alert">
          Could not load {title.toLowerCase()}: {list.error}
        </p>
      ) : null}
      <DataTable
        caption={title}
        columns={columns}
        rows={list.rows}
        highlighted={list.highlighted}
        empty={list.loading ? 'Loading…' : undefined}
        actions={(row) => (
          <>
            {props.rowActions?.(row)}
            {may(resource, 'update') && row.syncMark !== 'deleting' ? (
              <button type="button" onClick={() => setEditing({ mode: 'edit', row })}>
                Edit
              </button>
            ) : null}
            {row.version > 0 ? (
              <button
                type="button"
                onClick={() => setHistoryOf({ id: row.id, title: recordTitle(singular, row) })}
              >
                History
              </button>
            ) : null}
          </>
        )}
      />
      <Pager
        page={list.page}
        hasNext={list.hasNext}
        loading={list.loading}
        onPrev={list.prev}
        onNext={list.next}
      />

      <HistoryPanel
        resource={resource}
        id={historyOf?.id}
        title={historyOf?.title ?? singular}
        labels={labels}
        onClose={() => setHistoryOf(undefined)}
      />

      <Dialog
        title={editing?.mode === 'edit' ? `Edit ${singular}` : `New ${singular}`}
        open={editing !== undefined}
        onClose={close}
      >
        {staleBy > 0 ? (
          <p className="banner banner-warn" role="status">
            Someone else just saved version {staleBy}. If you save, you will be asked how to combine
            the changes.
          </p>
        ) : null}
        {editing?.mode === 'create' && props.createForm ? props.createForm(close) : null}
        {editing?.mode === 'create' && !props.createForm ? (
          <ResourceForm
            fields={fields}
            mode="create"
            schema={props.createSchema}
            initial={props.createDefaults}
            onCancel={close}
            onSubmit={async (data) => {
              const errors = await submitWrite(queue, { resource, action: 'create', data });
              if (!errors) close();
              return errors;
            }}
          />
        ) : null}
        {editing?.mode === 'edit' ? (
          <ResourceForm
            fields={fields}
            mode="edit"
            schema={props.updateSchema}
            initial={editing.row as Record<string, unknown>}
            onCancel={close}
            onSubmit={async (data) => {
              const { row } = editing;
              const errors = await submitWrite(queue, {
                resource,
                action: 'update',
                id: row.id,
                data,
                // Rows created offline have no server version yet: the queue chains the edit.
                baseVersion: row.version > 0 ? row.version : undefined,
              });
              if (!errors) close();
              return errors;
            }}
          />
        ) : null}
      </Dialog>
    </section>
  );
}

/** "client Amina Okello": the singular and the row's name, code or date when it has one. */
function recordTitle(singular: string, row: object): string {
  const r = row as Record<string, unknown>;
  const name = [r.fullName, r.name, r.code, r.reportDate].find(
    (v): v is string => typeof v === 'string' && v !== '',
  );
  return name ? `${singular} ${name}` : singular;
}
