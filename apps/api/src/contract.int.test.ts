import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from './testing/harness.ts';

// Every `t.request` here is checked against the served OpenAPI document; these
// cases reach the statuses and headers the other suites do not.

let t: TestApi;
let admin: string;
let branchA: string;

beforeAll(async () => {
  t = await startTestApi();
  branchA = t.branches[0]?.id ?? '';
  admin = await t.token('admin');
});
afterAll(async () => {
  await t?.close();
});

async function newClient(name = 'Contract Client') {
  const res = await t.request('/api/clients', {
    method: 'POST',
    token: admin,
    json: { branchId: branchA, fullName: name },
  });
  expect(res.status).toBe(201);
  return (await res.json()) as { id: string; version: number };
}

describe('documented answers the other suites do not reach', () => {
  it('answers a conditional GET with 304 while the ETag matches', async () => {
    // fetch adds `Cache-Control: no-cache` to conditional requests unless told
    // otherwise, and the server rightly never answers those with a 304.
    const revalidate = { 'cache-control': 'max-age=0' };
    const { id } = await newClient();
    const one = await t.request(`/api/clients/${id}`, { token: admin });
    const etag = one.headers.get('etag') ?? '';
    expect(etag).toBe('"1"');
    const again = await t.request(`/api/clients/${id}`, {
      token: admin,
      headers: { 'if-none-match': etag, ...revalidate },
    });
    expect(again.status).toBe(304);

    const list = await t.request('/api/products?limit=3', { token: admin });
    const listed = await t.request('/api/products?limit=3', {
      token: admin,
      headers: { 'if-none-match': list.headers.get('etag') ?? '', ...revalidate },
    });
    expect(listed.status).toBe(304);
  });

  it('takes the expected version of a DELETE from ?version= and lists tombstones on request', async () => {
    const { id } = await newClient();
    const stale = await t.request(`/api/clients/${id}?version=7`, {
      method: 'DELETE',
      token: admin,
    });
    expect(stale.status).toBe(409);
    const removed = await t.request(`/api/clients/${id}?version=1`, {
      method: 'DELETE',
      token: admin,
    });
    expect(removed.status).toBe(200);
    expect(removed.headers.get('etag')).toBe('"2"');
    const repeat = await t.request(`/api/clients/${id}`, { method: 'DELETE', token: admin });
    expect(repeat.status).toBe(200);

    const since = encodeURIComponent(new Date(Date.now() - 60_000).toISOString());
    const page = await t.request(
      `/api/clients?include_deleted=true&updated_since=${since}&limit=500`,
      { token: admin },
    );
    const { items } = (await page.json()) as { items: { id: string; deletedAt: string | null }[] };
    expect(items.find((c) => c.id === id)?.deletedAt).toEqual(expect.any(String));
  });

  it('answers writes to a missing record with 404 and a PATCH without a version with 428', async () => {
    const missing = `/api/clients/${randomUUID()}`;
    const patch = await t.request(missing, {
      method: 'PATCH',
      token: admin,
      headers: { 'if-match': 'W/"1"' },
      json: { notes: 'x' },
    });
    expect(patch.status).toBe(404);
    expect((await t.request(missing, { method: 'DELETE', token: admin })).status).toBe(404);
    const { id } = await newClient();
    const unversioned = await t.request(`/api/clients/${id}`, {
      method: 'PATCH',
      token: admin,
      json: { notes: 'x' },
    });
    expect(unversioned.status).toBe(428);
  });

  it('serves changes pages and refuses bad or unauthenticated ones', async () => {
    expect((await t.request('/api/changes')).status).toBe(401);
    expect((await t.request('/api/changes?x=1', { token: admin })).status).toBe(400);
    const head = await t.request('/api/changes', { token: admin });
    expect(head.status).toBe(200);
    const page = await t.request('/api/changes?after=0&resources=clients,orders&limit=5', {
      token: admin,
    });
    expect(page.status).toBe(200);
  });

  it('echoes a well-formed x-request-id and replaces a malformed one', async () => {
    const echoed = await t.request('/health', { headers: { 'x-request-id': 'trace.42-a' } });
    expect(echoed.headers.get('x-request-id')).toBe('trace.42-a');
    const replaced = await t.request('/health', { headers: { 'x-request-id': 'no spaces!' } });
    expect(replaced.headers.get('x-request-id')).not.toBe('no spaces!');
  });

  it('refuses a bad dev login body', async () => {
    const invalid = await t.request('/api/auth/dev-login', { method: 'POST', json: { id: 1 } });
    expect(invalid.status).toBe(400);
    const notJson = await t.request('/api/auth/dev-login', {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: 'admin',
    });
    expect(notJson.status).toBe(415);
  });

  it('limits writes per caller with 429, Retry-After and RateLimit headers', async () => {
    const limited = await startTestApi({
      database: t.database,
      keyPrefix: t.keyPrefix,
      relay: false,
      env: { WRITE_RATE_LIMIT_PER_MINUTE: 2 },
    });
    try {
      const write = () =>
        limited.request('/api/clients', {
          method: 'POST',
          token: admin,
          json: { branchId: branchA, fullName: 'Rate Limited' },
        });
      const first = await write();
      expect(first.headers.get('ratelimit-policy')).toMatch(/q=2; w=60/);
      await write();
      const refused = await write();
      expect(refused.status).toBe(429);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
      // Reads are not limited.
      expect((await limited.request('/api/clients?limit=1', { token: admin })).status).toBe(200);
    } finally {
      await limited.close();
    }
  });
});
