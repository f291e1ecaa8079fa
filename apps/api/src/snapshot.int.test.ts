import type { ChangesPage, ResourceName, SnapshotPage } from '@dynapharm/types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from './testing/harness.ts';

type Versions = Map<string, number>;

let t: TestApi;
let branchA: string;
let branchB: string;
let admin: string;
let staffA: string;

const allResources: ResourceName[] = [
  'branches',
  'clients',
  'products',
  'stock',
  'orders',
  'reports',
  'employees',
];

/** Every page of a snapshot; `between` runs after each page (writes land between pages). */
async function takeSnapshot(
  token: string,
  resources: ResourceName[],
  limit: number,
  between?: () => Promise<void>,
) {
  const rows: Versions = new Map();
  const branchesSeen = new Set<string | null>();
  let cursor: string | null = null;
  let first: SnapshotPage | undefined;
  let pages = 0;
  do {
    const query = cursor
      ? `cursor=${cursor}&limit=${limit}`
      : `resources=${resources}&limit=${limit}`;
    const res = await t.request(`/api/snapshot?${query}`, { token });
    expect(res.status).toBe(200);
    const page = (await res.json()) as SnapshotPage;
    first ??= page;
    expect(page.offset).toBe(first.offset);
    expect(page.epoch).toBe(first.epoch);
    expect(page.items.length).toBeLessThanOrEqual(limit);
    for (const { resource, record } of page.items) {
      const key = `${resource}:${record.id}`;
      expect(rows.has(key)).toBe(false);
      rows.set(key, record.version as number);
      branchesSeen.add(record.branchId as string | null);
    }
    cursor = page.nextCursor;
    pages += 1;
    if (cursor && between) await between();
  } while (cursor);
  return { offset: first.offset, epoch: first.epoch, rows, pages, branchesSeen };
}

/** Applies `/api/changes` after `offset` to `rows`, dropping what is not newer (version dedupe). */
async function followChanges(
  token: string,
  resources: ResourceName[],
  from: { offset: number; epoch: string; rows: Versions },
) {
  const known = new Map<string, { version: number; deleted: boolean }>();
  for (const [key, version] of from.rows) known.set(key, { version, deleted: false });
  let after = from.offset;
  for (;;) {
    const res = await t.request(
      `/api/changes?after=${after}&epoch=${from.epoch}&resources=${resources}&limit=1000`,
      { token },
    );
    const page = (await res.json()) as ChangesPage;
    expect(page.resync).toBe(false);
    for (const change of page.changes) {
      const key = `${change.resource}:${change.id}`;
      const current = known.get(key);
      if (current && current.version >= change.version) continue;
      known.set(key, { version: change.version, deleted: change.action === 'deleted' });
    }
    after = page.nextAfter;
    if (!page.hasMore) break;
  }
  const rows: Versions = new Map();
  for (const [key, { version, deleted }] of known) if (!deleted) rows.set(key, version);
  return rows;
}

/** The live rows a caller of `branches` sees (global rows included), straight from the tables. */
async function serverRows(resources: ResourceName[], branches: string[]): Promise<Versions> {
  const rows: Versions = new Map();
  for (const resource of resources) {
    const { rows: found } = await t.api.pool.query<{ id: string; version: number }>(
      `SELECT id, version FROM ${resource}
        WHERE deleted_at IS NULL AND (branch_id IS NULL OR branch_id = ANY($1::uuid[]))`,
      [branches],
    );
    for (const row of found) rows.set(`${resource}:${row.id}`, row.version);
  }
  return rows;
}

/** Waits until the relay has numbered every logged change. */
async function relayCaughtUp() {
  for (let i = 0; i < 300; i++) {
    const { rows } = await t.api.pool.query<{ n: string }>(
      'SELECT count(*) AS n FROM sync_log WHERE "offset" IS NULL',
    );
    if (rows[0]?.n === '0') return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('the relay did not catch up');
}

/** One random write in `branch`: a new client, an update or a soft delete of a live one. */
async function writeOnce(branch: string, n: number) {
  const pick = `(SELECT id FROM clients WHERE branch_id = $1 AND deleted_at IS NULL
                  ORDER BY random() LIMIT 1)`;
  switch (n % 4) {
    case 0:
      await t.api.pool.query(
        `INSERT INTO clients (id, branch_id, full_name) VALUES (gen_random_uuid(), $1, $2)`,
        [branch, `Concurrent ${n}`],
      );
      break;
    case 3:
      await t.api.pool.query(`UPDATE clients SET deleted_at = now() WHERE id = ${pick}`, [branch]);
      break;
    default:
      await t.api.pool.query(`UPDATE clients SET notes = $2 WHERE id = ${pick}`, [
        branch,
        `note ${n}`,
      ]);
      await t.api.pool.query(
        `UPDATE stock SET quantity = quantity + 1
          WHERE id = (SELECT id FROM stock WHERE branch_id = $1 ORDER BY random() LIMIT 1)`,
        [branch],
      );
  }
}

beforeAll(async () => {
  t = await startTestApi({ pollMs: 50 });
  [branchA, branchB] = t.branches.map((b) => b.id) as [string, string];
  admin = await t.token('admin');
  staffA = await t.token('staff', [branchA], 'staff-a');
  await t.api.pool.query(
    `INSERT INTO clients (id, branch_id, full_name)
     SELECT gen_random_uuid(), b, 'Bulk ' || g FROM generate_series(1, 3000) g, unnest($1::uuid[]) b`,
    [[branchA, branchB]],
  );
  await relayCaughtUp();
}, 60_000);
afterAll(async () => {
  await t?.close();
});

describe('GET /api/snapshot', () => {
  it('pages several resources of a branch; the pages equal the server’s rows by id and version', async () => {
    const resources: ResourceName[] = ['clients', 'products', 'orders', 'stock'];
    const snapshot = await takeSnapshot(staffA, resources, 97);
    expect(snapshot.pages).toBeGreaterThan(30);
    const { rows: state } = await t.api.pool.query<{ head: number; epoch: string }>(
      'SELECT head, epoch FROM relay_state',
    );
    expect(snapshot.offset).toBe(Number(state[0]?.head));
    expect(snapshot.epoch).toBe(state[0]?.epoch);
    expect(snapshot.rows).toEqual(await serverRows(resources, [branchA]));
  });

  it('stays complete while writers change the branch between and during pages: snapshot + changes after its offset = the server', async () => {
    const resources: ResourceName[] = ['clients', 'stock', 'products'];
    let n = 0;
    let taking = true;
    const writer = async (branch: string) => {
      while (taking) await writeOnce(branch, n++);
    };
    const writers = [writer(branchA), writer(branchA), writer(branchB)];
    const snapshot = await takeSnapshot(staffA, resources, 100, async () => {
      await writeOnce(branchA, n++);
      await writeOnce(branchA, n++);
    });
    taking = false;
    await Promise.all(writers);
    expect(n).toBeGreaterThan(100);
    await relayCaughtUp();
    const expected = await serverRows(resources, [branchA]);
    // The writes really did move the rows away from the snapshot.
    expect(snapshot.rows).not.toEqual(expected);
    expect(await followChanges(staffA, resources, snapshot)).toEqual(expected);
  }, 60_000);

  it('gives a staff user of branch A global rows and branch A rows, never branch B’s', async () => {
    const snapshot = await takeSnapshot(staffA, allResources, 500);
    expect([...snapshot.branchesSeen].sort()).toEqual([branchA, null].sort());
    expect(snapshot.rows).toEqual(await serverRows(allResources, [branchA]));
    const everything = await takeSnapshot(admin, ['branches'], 500);
    expect(everything.rows.size).toBe(t.branches.length);
  });

  it('refuses bad input with a 400 naming the field', async () => {
    const issuePaths = async (query: string) => {
      const res = await t.request(`/api/snapshot?${query}`, { token: staffA });
      expect(res.status).toBe(400);
      const body = (await res.json()) as {
        error: { details: { issues: { path: string }[] } };
      };
      return body.error.details.issues.map((i) => i.path);
    };
    expect(await issuePaths('resources=clients,nope')).toEqual(['resources.1']);
    expect(await issuePaths('resources=')).toEqual(['resources']);
    expect(await issuePaths('limit=0')).toEqual(['limit']);
    expect(await issuePaths('limit=abc')).toEqual(['limit']);
    expect(await issuePaths('limit=1001')).toEqual(['limit']);
    expect(await issuePaths('cursor=%%%')).toEqual(['cursor']);
    expect(await issuePaths('since=1')).toHaveLength(1);

    const first = (await (
      await t.request('/api/snapshot?resources=clients&limit=2', { token: staffA })
    ).json()) as SnapshotPage;
    const cursor = first.nextCursor as string;
    const wire = JSON.parse(Buffer.from(cursor, 'base64url').toString()) as Record<string, unknown>;
    const forge = (changes: Record<string, unknown>) =>
      Buffer.from(JSON.stringify({ ...wire, ...changes })).toString('base64url');
    expect(await issuePaths(`cursor=${cursor.slice(0, -3)}`)).toEqual(['cursor']);
    expect(await issuePaths(`cursor=${forge({ i: 5 })}`)).toEqual(['cursor']);
    expect(await issuePaths(`cursor=${forge({ l: "' OR 1=1 --" })}`)).toEqual(['cursor']);
    expect(await issuePaths(`cursor=${forge({ r: ['users'] })}`)).toEqual(['cursor']);
    expect(await issuePaths(`cursor=${forge({ extra: 1 })}`)).toEqual(['cursor']);
    expect(await issuePaths(`cursor=${cursor}&resources=orders`)).toEqual(['resources']);
    const next = await t.request(`/api/snapshot?cursor=${cursor}&resources=clients`, {
      token: staffA,
    });
    expect(next.status).toBe(200);
  });

  it('answers 409 snapshot_expired when the epoch changed between pages', async () => {
    const first = (await (
      await t.request('/api/snapshot?resources=clients&limit=5', { token: staffA })
    ).json()) as SnapshotPage;
    await t.api.pool.query('UPDATE relay_state SET epoch = gen_random_uuid()');
    const res = await t.request(`/api/snapshot?cursor=${first.nextCursor}`, { token: staffA });
    expect(res.status).toBe(409);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('snapshot_expired');
  });
});
