import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from './testing/harness.ts';

// A create with a client-chosen id must not tell a branch user whether that id
// belongs to a row of another branch: the refusal is the one they would get
// for a clash with a row of their own, and nothing is written.

let t: TestApi;

beforeAll(async () => {
  t = await startTestApi();
});
afterAll(async () => {
  await t?.close();
});

describe('creating with an id that is taken', () => {
  it('answers the same whether the row is in the caller’s branch or in another', async () => {
    const [a, b] = t.branches;
    if (!a || !b) throw new Error('the seed has two branches');
    const admin = await t.token('admin');
    const staffA = await t.token('staff', [a.id], 'staff-a');
    const idOf = async (branchId: string) => {
      const res = await t.request(`/api/clients?branchId=${branchId}&limit=1`, { token: admin });
      const page = (await res.json()) as { items: { id: string }[] };
      const id = page.items[0]?.id;
      if (!id) throw new Error('the seed has clients in every branch');
      return id;
    };
    const ownId = await idOf(a.id);
    const otherId = await idOf(b.id);
    const versionOf = async (id: string) =>
      (
        await t.api.pool.query<{ version: number; branch_id: string }>(
          'SELECT version, branch_id FROM clients WHERE id = $1',
          [id],
        )
      ).rows[0];
    const before = await versionOf(otherId);

    const attempt = async (id: string) => {
      const res = await t.request('/api/clients', {
        method: 'POST',
        token: staffA,
        json: { id, branchId: a.id, fullName: 'Probe' },
      });
      const body = JSON.stringify(await res.json()).replaceAll(id, '<id>');
      return { status: res.status, body };
    };
    const own = await attempt(ownId);
    const other = await attempt(otherId);
    expect(own.status).toBeGreaterThanOrEqual(400);
    expect(other).toEqual(own);
    expect(await versionOf(otherId)).toEqual(before);
  });
});
