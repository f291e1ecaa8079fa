import { type Client, clientCreateSchema, clientUpdateSchema } from '@dynapharm/types';
import type { FieldSpec } from '../components/field.tsx';
import { ResourcePage } from '../components/resource-page.tsx';
import { formatDateTime } from '../lib/format.ts';
import { useBranchName, useSession } from '../lib/session.tsx';
import { branchField } from './branch-field.ts';

const fields: FieldSpec[] = [
  { name: 'fullName', label: 'Full name', kind: 'text' },
  { name: 'email', label: 'Email', kind: 'email', nullable: true },
  { name: 'phone', label: 'Phone', kind: 'tel', nullable: true, hint: 'e.g. +256 700 123456' },
  { name: 'address', label: 'Address', kind: 'text' },
  { name: 'notes', label: 'Notes', kind: 'textarea' },
];

export function ClientsPage() {
  const { branchId, branches } = useSession();
  const branchName = useBranchName();
  return (
    <ResourcePage<Client>
      resource="clients"
      title="Clients"
      singular="client"
      query={{ branchId: branchId || undefined }}
      columns={[
        { key: 'fullName', label: 'Name' },
        { key: 'phone', label: 'Phone', render: (r) => r.phone ?? '—' },
        { key: 'email', label: 'Email', secondary: true, render: (r) => r.email ?? '—' },
        {
          key: 'branchId',
          label: 'Branch',
          secondary: true,
          render: (r) => branchName(r.branchId),
        },
        {
          key: 'updatedAt',
          label: 'Updated',
          secondary: true,
          render: (r) => formatDateTime(r.updatedAt),
        },
      ]}
      fields={[branchField(branches), ...fields]}
      createSchema={clientCreateSchema}
      updateSchema={clientUpdateSchema}
      createDefaults={{ branchId }}
    />
  );
}
