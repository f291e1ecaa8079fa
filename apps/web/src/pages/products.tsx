import { type Product, productCreateSchema, productUpdateSchema } from '@dynapharm/types';
import type { FieldSpec } from '../components/field.tsx';
import { ResourcePage } from '../components/resource-page.tsx';
import { formatCents } from '../lib/format.ts';

const fields: FieldSpec[] = [
  { name: 'sku', label: 'SKU', kind: 'text', hint: 'uppercase letters, digits and dashes' },
  { name: 'name', label: 'Name', kind: 'text' },
  { name: 'category', label: 'Category', kind: 'text' },
  { name: 'unitPriceCents', label: 'Unit price', kind: 'money' },
  { name: 'description', label: 'Description', kind: 'textarea' },
  { name: 'requiresPrescription', label: 'Prescription only', kind: 'checkbox' },
  { name: 'active', label: 'Active', kind: 'checkbox' },
];

/** The shared catalogue: everybody reads it; the permission matrix says who changes it. */
export function ProductsPage() {
  return (
    <ResourcePage<Product>
      resource="products"
      title="Products"
      singular="product"
      query={{}}
      columns={[
        { key: 'name', label: 'Name' },
        { key: 'sku', label: 'SKU', secondary: true },
        { key: 'category', label: 'Category', secondary: true },
        { key: 'unitPriceCents', label: 'Price', render: (r) => formatCents(r.unitPriceCents) },
        {
          key: 'requiresPrescription',
          label: 'Rx',
          render: (r) => (r.requiresPrescription ? 'Rx' : ''),
        },
        {
          key: 'active',
          label: 'Active',
          secondary: true,
          render: (r) => (r.active ? 'yes' : 'no'),
        },
      ]}
      fields={fields}
      createSchema={productCreateSchema}
      updateSchema={productUpdateSchema}
      createDefaults={{ active: true, requiresPrescription: false, description: '' }}
    />
  );
}
