import { type Product, type Stock, stockCreateSchema, stockUpdateSchema } from '@dynapharm/types';
import type { FieldSpec } from '../components/field.tsx';
import { ResourcePage } from '../components/resource-page.tsx';
import { useBranchName, useSession } from '../lib/session.tsx';
import { useLookup } from '../lib/use-lookup.ts';
import { branchField } from './branch-field.ts';

/** Stock per product in the selected branch; low stock is flagged. */
export function StockPage() {
  const { branchId, branches } = useSession();
  const branchName = useBranchName();
  const products = useLookup<Product>('products');
  const productOptions = [...products.values()]
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((p) => ({ value: p.id, label: `${p.name} (${p.sku})` }));
  const fields: FieldSpec[] = [
    branchField(branches),
    {
      name: 'productId',
      label: 'Product',
      kind: 'select',
      createOnly: true,
      options: productOptions,
    },
    { name: 'quantity', label: 'Quantity', kind: 'number' },
    { name: 'reorderLevel', label: 'Reorder level', kind: 'number' },
  ];
  return (
    <ResourcePage<Stock>
      resource="stock"
      title="Stock"
      singular="stock line"
      query={{ branchId: branchId || undefined }}
      columns={[
        {
          key: 'productId',
          label: 'Product',
          render: (r) => products.get(r.productId)?.name ?? r.productId.slice(0, 8),
        },
        {
          key: 'quantity',
          label: 'On hand',
          render: (r) => (
            <span className={r.quantity <= r.reorderLevel ? 'low' : undefined}>
              {r.quantity}
              {r.quantity <= r.reorderLevel ? ' (low)' : ''}
            </span>
          ),
        },
        { key: 'reserved', label: 'Reserved', render: (r) => r.reserved ?? 0 },
        { key: 'reorderLevel', label: 'Reorder at', secondary: true },
        {
          key: 'branchId',
          label: 'Branch',
          secondary: true,
          render: (r) => branchName(r.branchId),
        },
      ]}
      fields={fields}
      createSchema={stockCreateSchema}
      updateSchema={stockUpdateSchema}
      createDefaults={{ branchId, quantity: 0, reorderLevel: 0 }}
    />
  );
}
