import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from './testing/harness.ts';

// PostgreSQL cannot store a NUL character in text. Such a value is the
// caller's mistake: it must answer 400 and write nothing, never 500.

let t: TestApi;
let admin: string;

beforeAll(async () => {
  t = await startTestApi();
  admin = await t.token('admin');
});
afterAll(async () => {
  await t?.close();
});

describe('NUL characters', () => {
  it('in a query filter answer 400, not 500', async () => {
    const res = await t.request('/api/orders?status=pending%00', { token: admin });
    expect(res.status).toBe(400);
  });

  it('in a body answer 4xx and write nothing', async () => {
    const before = await t.api.pool.query('SELECT count(*)::int AS n FROM clients');
    const res = await t.request('/api/clients', {
      method: 'POST',
      token: admin,
      json: { branchId: t.branches[0]?.id, fullName: 'Amina\u0000 Nakato' },
    });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    const after = await t.api.pool.query('SELECT count(*)::int AS n FROM clients');
    expect(after.rows[0]).toEqual(before.rows[0]);
  });
});
