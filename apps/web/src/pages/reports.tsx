import { type Report, reportCreateSchema, reportUpdateSchema } from '@dynapharm/types';
import { useId, useState } from 'react';
import type { FieldSpec } from '../components/field.tsx';
import { ResourcePage } from '../components/resource-page.tsx';
import { formatCents } from '../lib/format.ts';
import { useBranchName, useSession } from '../lib/session.tsx';
import { branchField } from './branch-field.ts';

const fields: FieldSpec[] = [
  { name: 'reportDate', label: 'Date', kind: 'date', createOnly: true },
  { name: 'ordersCount', label: 'Orders', kind: 'number' },
  { name: 'totalSalesCents', label: 'Total sales', kind: 'money' },
  { name: 'cashCents', label: 'Cash', kind: 'money' },
  { name: 'notes', label: 'Notes', kind: 'textarea' },
];

const today = () => new Date().toISOString().slice(0, 10);

/** Daily branch reports, filterable by date range. */
export function ReportsPage() {
  const { branchId, branches } = useSession();
  const branchName = useBranchName();
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const fromId = useId();
  const toId = useId();
  return (
    <ResourcePage<Report>
      resource="reports"
      title="Reports"
      singular="report"
      query={{ branchId: branchId || undefined, from: from || undefined, to: to || undefined }}
      toolbar={
        <>
          <label htmlFor={fromId}>From</label>
          <input id={fromId} type="date" value={from} onChange={(e) => setFrom(e.target.value)} />
          <label htmlFor={toId}>To</label>
          <input id={toId} type="date" value={to} onChange={(e) => setTo(e.target.value)} />
        </>
      }
      columns={[
        { key: 'reportDate', label: 'Date' },
        { key: 'ordersCount', label: 'Orders' },
        { key: 'totalSalesCents', label: 'Sales', render: (r) => formatCents(r.totalSalesCents) },
        {
          key: 'cashCents',
          label: 'Cash',
          secondary: true,
          render: (r) => formatCents(r.cashCents),
        },
        {
          key: 'branchId',
          label: 'Branch',
          secondary: true,
          render: (r) => branchName(r.branchId),
        },
      ]}
      fields={[branchField(branches), ...fields]}
      createSchema={reportCreateSchema}
      updateSchema={reportUpdateSchema}
      createDefaults={{
        branchId,
        reportDate: today(),
        ordersCount: 0,
        totalSalesCents: 0,
        cashCents: 0,
        notes: '',
      }}
    />
  );
}
