import type { FieldSpec, FormState } from '../components/field.tsx';
import type { FieldErrors } from './form-errors.ts';
import { formatCents, parseCents } from './format.ts';

/** The inputs' initial state for a record (or a create form's defaults). */
export function toFormState(
  record: Record<string, unknown>,
  fields: readonly FieldSpec[],
): FormState {
  const state: FormState = {};
  for (const f of fields) {
    const v = record[f.name];
    if (f.kind === 'checkbox') state[f.name] = v === true;
    else if (f.kind === 'money')
      state[f.name] = typeof v === 'number' ? formatCents(v).replace(/,/g, '') : '';
    else state[f.name] = v === null || v === undefined ? '' : String(v);
  }
  return state;
}

/**
 * Turns what was typed into the values the zod schema expects: numbers and
 * cents parsed, empty nullable fields as `null`. Inputs that cannot be parsed
 * are reported here; everything else is left to the schema.
 */
export function fromFormState(
  state: FormState,
  fields: readonly FieldSpec[],
): { values: Record<string, unknown>; errors: FieldErrors } {
  const values: Record<string, unknown> = {};
  const errors: FieldErrors = {};
  for (const f of fields) {
    const raw = state[f.name];
    if (f.kind === 'checkbox') {
      values[f.name] = raw === true;
      continue;
    }
    const text = typeof raw === 'string' ? raw.trim() : '';
    if (text === '' && f.nullable) {
      values[f.name] = null;
    } else if (f.kind === 'money') {
      const cents = parseCents(text);
      if (cents === undefined) errors[f.name] = 'enter an amount like 12.50';
      else values[f.name] = cents;
    } else if (f.kind === 'number') {
      if (!/^-?\d+$/.test(text)) errors[f.name] = 'enter a whole number';
      else values[f.name] = Number(text);
    } else if (text === '' && (f.kind === 'select' || f.kind === 'date')) {
      values[f.name] = undefined;
    } else {
      values[f.name] = typeof raw === 'string' ? raw : '';
    }
  }
  return { values, errors };
}
