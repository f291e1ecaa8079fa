import {
  type Client,
  canAll,
  type Order,
  orderStatuses,
  orderTransitions,
  orderUpdateSchema,
  updateActions,
} from '@dynapharm/types';
import { useId, useState } from 'react';
import type { FieldSpec } from '../components/field.tsx';
import { ResourcePage } from '../components/resource-page.tsx';
import { fieldLabel, formatCents, formatDateTime } from '../lib/format.ts';
import { useQueue } from '../lib/queue.tsx';
import { useBranchName, useSession } from '../lib/session.tsx';
import { useLookup } from '../lib/use-lookup.ts';
import { OrderForm } from './order-form.tsx';

const editFields: FieldSpec[] = [{ name: 'notes', label: 'Notes', kind: 'textarea' }];

const actionLabels = {
  confirmed: 'Confirm',
  fulfilled: 'Fulfil',
  cancelled: 'Cancel',
  pending: 'Reopen',
} as const;

/** Orders of the branch; status moves follow `orderTransitions`. */
export function OrdersPage() {
  const { branchId, session } = useSession();
  const role = session?.user.role;
  const branchName = useBranchName();
  const { queue } = useQueue();
  const clients = useLookup<Client>('clients', { branchId: branchId || undefined });
  const [status, setStatus] = useState('');
  const statusId = useId();

  const move = (order: Order, to: Order['status']) =>
    void queue
      ?.queueOperation({
        resource: 'orders',
        action: 'update',
        id: order.id,
        data: { status: to },
        baseVersion: order.version > 0 ? order.version : undefined,
      })
      .catch(() => undefined);

  return (
    <ResourcePage<Order>
      resource="orders"
      title="Orders"
      singular="order"
      query={{ branchId: branchId || undefined, status: status || undefined }}
      toolbar={
        <>
          <label htmlFor={statusId}>Status</label>
          <select id={statusId} value={status} onChange={(e) => setStatus(e.target.value)}>
            <option value="">Any</option>
            {orderStatuses.map((s) => (
              <option key={s} value={s}>
                {fieldLabel(s)}
              </option>
            ))}
          </select>
        </>
      }
      columns={[
        {
          key: 'clientId',
          label: 'Client',
          render: (r) => clients.get(r.clientId)?.fullName ?? r.clientId?.slice(0, 8),
        },
        {
          key: 'status',
          label: 'Status',
          render: (r) => (
            <span className={`status status-${r.status ?? 'pending'}`}>
              {r.status ?? 'pending'}
            </span>
          ),
        },
        { key: 'items', label: 'Items', secondary: true, render: (r) => r.items?.length ?? 0 },
        { key: 'totalCents', label: 'Total', render: (r) => formatCents(r.totalCents) },
        {
          key: 'branchId',
          label: 'Branch',
          secondary: true,
          render: (r) => branchName(r.branchId),
        },
        {
          key: 'createdAt',
          label: 'Created',
          secondary: true,
          render: (r) => formatDateTime(r.createdAt),
        },
      ]}
      rowActions={(r) =>
        r.syncMark || !r.status
          ? null
          : orderTransitions[r.status]
              .filter((to) => canAll(role, 'orders', updateActions('orders', { status: to })))
              .map((to) => (
                <button key={to} type="button" onClick={() => move(r, to)}>
                  {actionLabels[to]}
                </button>
              ))
      }
      fields={editFields}
      createSchema={orderUpdateSchema}
      updateSchema={orderUpdateSchema}
      createDefaults={{}}
      createForm={(close) => <OrderForm onDone={close} />}
    />
  );
}
