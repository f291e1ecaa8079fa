import {
  type Employee,
  employeeCreateSchema,
  employeePositions,
  employeeUpdateSchema,
} from '@dynapharm/types';
import type { FieldSpec } from '../components/field.tsx';
import { ResourcePage } from '../components/resource-page.tsx';
import { fieldLabel } from '../lib/format.ts';
import { useBranchName, useSession } from '../lib/session.tsx';
import { branchField } from './branch-field.ts';

const fields: FieldSpec[] = [
  { name: 'fullName', label: 'Full name', kind: 'text' },
  { name: 'email', label: 'Email', kind: 'email' },
  { name: 'phone', label: 'Phone', kind: 'tel' },
  {
    name: 'position',
    label: 'Position',
    kind: 'select',
    options: employeePositions.map((p) => ({ value: p, label: fieldLabel(p) })),
  },
  { name: 'active', label: 'Active', kind: 'checkbox' },
];

export function EmployeesPage() {
  const { branchId, branches } = useSession();
  const branchName = useBranchName();
  return (
    <ResourcePage<Employee>
      resource="employees"
      title="Employees"
      singular="employee"
      query={{ branchId: branchId || undefined }}
      columns={[
        { key: 'fullName', label: 'Name' },
        { key: 'position', label: 'Position', render: (r) => fieldLabel(r.position) },
        { key: 'email', label: 'Email', secondary: true },
        { key: 'active', label: 'Active', render: (r) => (r.active ? 'yes' : 'no') },
        {
          key: 'branchId',
          label: 'Branch',
          secondary: true,
          render: (r) => branchName(r.branchId),
        },
      ]}
      fields={[branchField(branches), ...fields]}
      createSchema={employeeCreateSchema}
      updateSchema={employeeUpdateSchema}
      createDefaults={{ branchId, active: true, position: 'cashier' }}
    />
  );
}
