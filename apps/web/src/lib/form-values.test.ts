import { clientCreateSchema } from '@dynapharm/types';
import { describe, expect, it } from 'vitest';
import type { FieldSpec } from '../components/field.tsx';
import { apiFieldErrors, zodFieldErrors } from './form-errors.ts';
import { fromFormState, toFormState } from './form-values.ts';

const fields: FieldSpec[] = [
  { name: 'fullName', label: 'Name', kind: 'text' },
  { name: 'email', label: 'Email', kind: 'email', nullable: true },
  { name: 'price', label: 'Price', kind: 'money' },
  { name: 'qty', label: 'Qty', kind: 'number' },
  { name: 'active', label: 'Active', kind: 'checkbox' },
];

describe('form values', () => {
  it('round-trips a record through the inputs', () => {
    const record = { fullName: 'A', email: null, price: 1250, qty: 3, active: true };
    const state = toFormState(record, fields);
    expect(state).toEqual({ fullName: 'A', email: '', price: '12.50', qty: '3', active: true });
    expect(fromFormState(state, fields)).toEqual({ values: record, errors: {} });
  });

  it('reports inputs that are not numbers or money', () => {
    const { errors } = fromFormState(
      { fullName: '', email: '', price: '1.234', qty: 'x', active: false },
      fields,
    );
    expect(Object.keys(errors).sort()).toEqual(['price', 'qty']);
  });
});

describe('field errors', () => {
  it('names each field at fault from the shared schema', () => {
    const res = clientCreateSchema.safeParse({ branchId: 'nope', fullName: ' ', email: 'bad' });
    expect(res.success).toBe(false);
    if (!res.success)
      expect(Object.keys(zodFieldErrors(res.error)).sort()).toEqual([
        'branchId',
        'email',
        'fullName',
      ]);
  });

  it('says "required" for a missing value', () => {
    const res = clientCreateSchema.safeParse({ fullName: 'A' });
    expect(res.success).toBe(false);
    if (!res.success) expect(zodFieldErrors(res.error).branchId).toBe('required');
  });

  it('reads the API error details', () => {
    expect(apiFieldErrors({ issues: [{ path: 'phone', message: 'bad phone' }] })).toEqual({
      phone: 'bad phone',
    });
    expect(apiFieldErrors(undefined)).toEqual({});
  });
});
