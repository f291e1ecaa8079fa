import { type Client, orderCreateSchema, type Product } from '@dynapharm/types';
import { type FormEvent, useId, useState } from 'react';
import { Field, type FieldSpec } from '../components/field.tsx';
import { type FieldErrors, zodFieldErrors } from '../lib/form-errors.ts';
import { formatCents } from '../lib/format.ts';
import { useQueue } from '../lib/queue.tsx';
import { useSession } from '../lib/session.tsx';
import { submitWrite } from '../lib/submit-write.ts';
import { useLookup } from '../lib/use-lookup.ts';

interface Line {
  key: number;
  productId: string;
  quantity: string;
}

/** Creates an order: a client of the branch and one line per product. */
export function OrderForm({ onDone }: { onDone(): void }) {
  const { branchId: selected, branches } = useSession();
  const { queue } = useQueue();
  const [branchId, setBranchId] = useState(selected || branches[0]?.id || '');
  const clients = useLookup<Client>('clients', { branchId: branchId || undefined });
  const products = useLookup<Product>('products');
  const [clientId, setClientId] = useState('');
  const [notes, setNotes] = useState('');
  const [lines, setLines] = useState<Line[]>([{ key: 1, productId: '', quantity: '1' }]);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [busy, setBusy] = useState(false);
  const notesId = useId();

  const productOptions = [...products.values()]
    .filter((p) => p.active)
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((p) => ({ value: p.id, label: `${p.name} · ${formatCents(p.unitPriceCents)}` }));
  const specs: Record<string, FieldSpec> = {
    branchId: {
      name: 'branchId',
      label: 'Branch',
      kind: 'select',
      options: branches.map((b) => ({ value: b.id, label: `${b.code} · ${b.name}` })),
    },
    clientId: {
      name: 'clientId',
      label: 'Client',
      kind: 'select',
      options: [...clients.values()].map((c) => ({ value: c.id, label: c.fullName })),
    },
  };
  const total = lines.reduce((sum, l) => {
    const price = products.get(l.productId)?.unitPriceCents ?? 0;
    return sum + price * (Number(l.quantity) || 0);
  }, 0);
  const setLine = (key: number, patch: Partial<Line>) =>
    setLines((ls) => ls.map((l) => (l.key === key ? { ...l, ...patch } : l)));

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const body = {
      branchId,
      clientId: clientId || undefined,
      notes,
      items: lines.map((l) => ({
        productId: l.productId || undefined,
        quantity: /^\d+$/.test(l.quantity) ? Number(l.quantity) : Number.NaN,
      })),
    };
    const parsed = orderCreateSchema.safeParse(body);
    if (!parsed.success) return setErrors(zodFieldErrors(parsed.error));
    setBusy(true);
    const result = await submitWrite(queue, {
      resource: 'orders',
      action: 'create',
      data: parsed.data,
    });
    setBusy(false);
    if (result) setErrors(result);
    else onDone();
  };

  return (
    <form className="form" onSubmit={submit} noValidate>
      <Field
        spec={specs.branchId as FieldSpec}
        value={branchId}
        error={errors.branchId}
        onChange={(v) => setBranchId(String(v))}
      />
      <Field
        spec={specs.clientId as FieldSpec}
        value={clientId}
        error={errors.clientId}
        onChange={(v) => setClientId(String(v))}
      />
      <fieldset className="lines">
        <legend>Items</legend>
        {lines.map((line, i) => (
          <div className="line" key={line.key}>
            <Field
              spec={{
                name: `items.${i}.productId`,
                label: `Product ${i + 1}`,
                kind: 'select',
                options: productOptions,
              }}
              value={line.productId}
              error={errors[`items.${i}.productId`]}
              onChange={(v) => setLine(line.key, { productId: String(v) })}
            />
            <Field
              spec={{ name: `items.${i}.quantity`, label: 'Quantity', kind: 'number' }}
              value={line.quantity}
              error={errors[`items.${i}.quantity`]}
              onChange={(v) => setLine(line.key, { quantity: String(v) })}
            />
            <button
              type="button"
              aria-label={`Remove product ${i + 1}`}
              disabled={lines.length === 1}
              onClick={() => setLines((ls) => ls.filter((l) => l.key !== line.key))}
            >
              Remove
            </button>
          </div>
        ))}
        {errors.items ? (
          <small className="field-error" role="alert">
            {errors.items}
          </small>
        ) : null}
        <button
          type="button"
          onClick={() =>
            setLines((ls) => [
              ...ls,
              { key: Math.max(0, ...ls.map((l) => l.key)) + 1, productId: '', quantity: '1' },
            ])
          }
        >
          Add item
        </button>
      </fieldset>
      <div className="field">
        <label htmlFor={notesId}>Notes</label>
        <textarea id={notesId} rows={2} value={notes} onChange={(e) => setNotes(e.target.value)} />
      </div>
      <p>
        Estimated total: <strong>{formatCents(total)}</strong>
      </p>
      {errors['(body)'] ? (
        <p className="form-error" role="alert">
          {errors['(body)']}
        </p>
      ) : null}
      <div className="form-actions">
        <button type="submit" className="primary" disabled={busy}>
          Create order
        </button>
        <button type="button" onClick={onDone}>
          Cancel
        </button>
      </div>
    </form>
  );
}
