import type { Branch } from '@dynapharm/types';
import type { FieldSpec } from '../components/field.tsx';

/** The branch picker of create forms (preset to the selected branch). */
export function branchField(branches: readonly Branch[]): FieldSpec {
  return {
    name: 'branchId',
    label: 'Branch',
    kind: 'select',
    createOnly: true,
    options: branches.map((b) => ({ value: b.id, label: `${b.code} · ${b.name}` })),
  };
}
