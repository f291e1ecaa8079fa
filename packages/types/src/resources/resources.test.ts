import { describe, expect, it } from 'vitest';
import { fieldIssues } from '../errors.ts';
import { clientCreateSchema, clientUpdateSchema } from './clients.ts';
import { orderCreateSchema } from './orders.ts';

const branchId = '0193a1b2-0000-7000-8000-000000000001';
const productId = '0193a1b2-0000-7000-8000-000000000002';

describe('resource schemas', () => {
  it('fills defaults on create and names the field at fault', () => {
    const ok = clientCreateSchema.parse({ branchId, fullName: '  Amina Okello ' });
    expect(ok).toMatchObject({ fullName: 'Amina Okello', email: null, notes: '' });

    const bad = clientCreateSchema.safeParse({ branchId: 'x', fullName: '', email: 'nope' });
    expect(bad.success).toBe(false);
    if (!bad.success) {
      expect(
        fieldIssues(bad.error)
          .map((i) => i.path)
          .sort(),
      ).toEqual(['branchId', 'email', 'fullName']);
    }
  });

  it('refuses unknown fields so typos do not pass silently', () => {
    expect(clientUpdateSchema.safeParse({ fulName: 'x' }).success).toBe(false);
  });

  it('refuses an order naming a product twice', () => {
    const res = orderCreateSchema.safeParse({
      branchId,
      clientId: branchId,
      items: [
        { productId, quantity: 1 },
        { productId, quantity: 2 },
      ],
    });
    expect(res.success).toBe(false);
  });
});
