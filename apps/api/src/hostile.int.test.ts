import { randomUUID } from 'node:crypto';
import { type ResourceName, resourceNames } from '@dynapharm/types';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from './testing/harness.ts';

let t: TestApi;
let managerA: string;
let branchA: string;

beforeAll(async () => {
  t = await startTestApi();
  branchA = t.branches[0]?.id ?? '';
  managerA = await t.token('manager', [branchA], 'fuzzer');
});
afterAll(async () => {
  await t?.close();
});

async function tableCounts() {
  const { rows } = await t.api.pool.query<{ n: string }>(
    `SELECT (SELECT count(*) FROM sync_log) + (SELECT count(*) FROM order_items) AS n`,
  );
  return Number(rows[0]?.n ?? 0);
}

/** Arbitrary JSON values, biased towards the shapes and edges the schemas care about. */
const hostileValue = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom(
    null,
    '',
    ' ',
    -1,
    0,
    2 ** 31,
    1e308,
    '0193a1b2-0000-7000-8000-00000000000a',
    '../../etc',
    '\u0000',
    '<script>',
  ),
  fc.string({ maxLength: 300 }),
  fc.uuid(),
);
const hostileBody = fc.oneof(
  fc.dictionary(
    fc.constantFrom(
      'id',
      'branchId',
      'fullName',
      'email',
      'phone',
      'notes',
      'items',
      'status',
      'version',
      'quantity',
      'reportDate',
      'sku',
      'unitPriceCents',
      '__proto__',
      'constructor',
    ),
    hostileValue,
    { maxKeys: 8 },
  ),
  fc.jsonValue({ maxDepth: 2 }),
);

describe('hostile input', () => {
  it('never answers a 5xx and never writes on an invalid body', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom<ResourceName>(...resourceNames),
        fc.constantFrom('POST', 'PATCH', 'DELETE'),
        hostileBody,
        async (resource, method, body) => {
          const path = method === 'POST' ? `/api/${resource}` : `/api/${resource}/${randomUUID()}`;
          const before = await tableCounts();
          const res = await t.request(path, { method, token: managerA, json: body });
          expect(res.status).toBeLessThan(500);
          const text = await res.text();
          if (res.status >= 400) {
            expect(JSON.parse(text)).toHaveProperty('error.code');
            expect(text).not.toMatch(/at .+\.ts:\d+|node_modules|SELECT|INSERT/);
            expect(await tableCounts()).toBe(before);
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it('never answers a 5xx to hostile query strings and headers', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom<string>(...resourceNames, 'changes'),
        fc.dictionary(
          fc.constantFrom(
            'branchId',
            'status',
            'from',
            'to',
            'updated_since',
            'cursor',
            'limit',
            'after',
            'resources',
            'include_deleted',
            'x',
          ),
          fc.oneof(
            fc.string({ maxLength: 80 }),
            fc.constantFrom('-1', '1e9', 'NaN', '[]', '%00', '2024-13-40'),
          ),
          { maxKeys: 4 },
        ),
        fc.record({
          'if-match': fc.option(fc.string({ maxLength: 40 }), { nil: undefined }),
          'idempotency-key': fc.option(fc.string({ maxLength: 260 }), { nil: undefined }),
        }),
        async (resource, query, headers) => {
          const qs = new URLSearchParams(query).toString();
          const h: Record<string, string> = {};
          for (const [k, v] of Object.entries(headers)) {
            // fetch itself refuses header values with control characters.
            if (v !== undefined && /^[\x20-\x7e]*$/.test(v)) h[k] = v;
          }
          const res = await t.request(`/api/${resource}?${qs}`, { token: managerA, headers: h });
          expect(res.status).toBeLessThan(500);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('refuses garbage tokens and never lets them reach data', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 400 }), async (token) => {
        if (!/^[\x21-\x7e]+$/.test(token)) return;
        const res = await t.request('/api/clients', { token });
        expect(res.status).toBe(401);
      }),
      { numRuns: 60 },
    );
  });
});
