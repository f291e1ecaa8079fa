import { type FormEvent, useState } from 'react';
import type { z } from 'zod';
import { changedFields } from '../lib/field-diff.ts';
import { type FieldErrors, zodFieldErrors } from '../lib/form-errors.ts';
import { fromFormState, toFormState } from '../lib/form-values.ts';
import { Field, type FieldSpec } from './field.tsx';

interface ResourceFormProps {
  fields: readonly FieldSpec[];
  /** `create` validates the whole body; `edit` validates and sends only what changed. */
  mode: 'create' | 'edit';
  schema: z.ZodType;
  initial: Record<string, unknown>;
  /** Receives the parsed body (create) or patch (edit); resolves with server-side field errors, if any. */
  onSubmit(values: Record<string, unknown>): Promise<FieldErrors | undefined>;
  onCancel(): void;
}

/** A form generated from field specs, validated with the shared zod schema before anything is queued. */
export function ResourceForm({
  fields,
  mode,
  schema,
  initial,
  onSubmit,
  onCancel,
}: ResourceFormProps) {
  const shown = mode === 'edit' ? fields.filter((f) => !f.createOnly) : fields;
  const [state, setState] = useState(() => toFormState(initial, shown));
  const [errors, setErrors] = useState<FieldErrors>({});
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const { values, errors: inputErrors } = fromFormState(state, shown);
    if (Object.keys(inputErrors).length > 0) return setErrors(inputErrors);
    const body =
      mode === 'edit'
        ? changedFields(fromFormState(toFormState(initial, shown), shown).values, values)
        : values;
    if (mode === 'edit' && Object.keys(body).length === 0)
      return setErrors({ '(body)': 'Nothing changed.' });
    const parsed = schema.safeParse(body);
    if (!parsed.success) return setErrors(zodFieldErrors(parsed.error));
    setBusy(true);
    try {
      setErrors((await onSubmit(parsed.data as Record<string, unknown>)) ?? {});
    } finally {
      setBusy(false);
    }
  };

  const general = errors['(body)'];
  return (
    <form className="form" onSubmit={submit} noValidate>
      {shown.map((spec) => (
        <Field
          key={spec.name}
          spec={spec}
          value={state[spec.name] ?? ''}
          error={errors[spec.name]}
          disabled={busy}
          onChange={(v) => setState((s) => ({ ...s, [spec.name]: v }))}
        />
      ))}
      {general ? (
        <p className="form-error" role="alert">
          {general}
        </p>
      ) : null}
      <div className="form-actions">
        <button type="submit" className="primary" disabled={busy}>
          {mode === 'create' ? 'Create' : 'Save'}
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
