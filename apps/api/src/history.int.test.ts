import { randomUUID } from 'node:crypto';
import { trimLog } from '@dynapharm/outbox';
import { type HistoryPage, resourceNames } from '@dynapharm/types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from './testing/harness.ts';

// GET /api/<resource>/<id>/history: every change of a record with its actor,
// time, origin and field diff, read from the live change log and its archive.

let t: TestApi;
let branchA: string;
let branchB: string;
let admin: string;
/** Three users of branch A (two seeded, so their names are known, and one that is not). */
let editors: { sub: string; name: string | null; token: string }[];

beforeAll(async () => {
  t = await startTestApi({ relay: false });
  const [a, b] = t.branches;
  if (!a || !b) throw new Error('the seed has two branches');
  branchA = a.id;
  branchB = b.id;
  admin = await t.token('admin', [], 'admin');
  const { rows } = await t.api.pool.query<{ id: string; name: string; role: 'manager' | 'staff' }>(
    `SELECT id, name, role FROM users WHERE $1::uuid = ANY(branches) ORDER BY role`,
    [branchA],
  );
  const [manager, staff] = rows;
  if (!manager || !staff) throw new Error('the seed has a manager and a staff user per branch');
  editors = [
    { sub: manager.id, name: manager.name, token: await t.token('manager', [branchA], manager.id) },
    { sub: staff.id, name: staff.name, token: await t.token('staff', [branchA], staff.id) },
    {
      sub: 'temp-staff-7',
      name: null,
      token: await t.token('staff', [branchA], 'temp-staff-7'),
    },
  ];
});
afterAll(async () => {
  await t?.close();
});

async function history(
  resource: string,
  id: string,
  token: string,
  query = '',
): Promise<{ status: number; body: unknown }> {
  const res = await t.request(`/api/${resource}/${id}/history${query}`, { token });
  return { status: res.status, body: await res.json() };
}

async function allHistory(id: string, token: string, limit: number) {
  const items: HistoryPage['items'] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const { status, body } = await history(
      'clients',
      id,
      token,
      `?limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`,
    );
    expect(status).toBe(200);
    const page = body as HistoryPage;
    items.push(...page.items);
    cursor = page.nextCursor;
    pages++;
  } while (cursor && pages < 20);
  return { items, pages };
}

/** A client created by the admin and then edited by each of the three editors in turn. */
async function editedClient() {
  const created = await t.request('/api/clients', {
    method: 'POST',
    token: admin,
    headers: { 'idempotency-key': `create-${randomUUID()}` },
    json: { branchId: branchA, fullName: 'Amina Okello', phone: '+256700000001' },
  });
  expect(created.status).toBe(201);
  let row = (await created.json()) as { id: string; version: number };
  const patches = [
    { phone: '+256700000002' },
    { notes: 'prefers SMS' },
    { fullName: 'Amina N. Okello', notes: '' },
  ];
  const keys: string[] = [];
  for (const [i, patch] of patches.entries()) {
    const editor = editors[i];
    if (!editor) throw new Error('three editors');
    const key = `edit-${i}-${randomUUID()}`;
    keys.push(key);
    const res = await t.request(`/api/clients/${row.id}`, {
      method: 'PATCH',
      token: editor.token,
      headers: { 'if-match': `"${row.version}"`, 'idempotency-key': key },
      json: patch,
    });
    expect(res.status).toBe(200);
    row = (await res.json()) as typeof row;
  }
  return { id: row.id, keys };
}

describe('record history', () => {
  it('lists the create and three edits by three users, newest first, with actors, origins and diffs', async () => {
    const { id, keys } = await editedClient();
    const { status, body } = await history('clients', id, editors[1]?.token ?? '');
    expect(status).toBe(200);
    const page = body as HistoryPage;
    expect(page).toMatchObject({ resource: 'clients', id, nextCursor: null });
    expect(page.items.map((e) => [e.version, e.action, e.actor])).toEqual([
      [4, 'updated', 'temp-staff-7'],
      [3, 'updated', editors[1]?.sub],
      [2, 'updated', editors[0]?.sub],
      [1, 'created', 'admin'],
    ]);
    expect(page.items.map((e) => e.actorName)).toEqual([
      null,
      editors[1]?.name,
      editors[0]?.name,
      'Head Office Admin',
    ]);
    expect(page.items.slice(0, 3).map((e) => e.origin)).toEqual([...keys].reverse());
    expect(page.items[3]?.origin).toMatch(/^create-/);
    expect(page.items.every((e) => e.archived === false)).toBe(true);
    expect(page.items[0]?.changes).toEqual([
      { field: 'fullName', before: 'Amina Okello', after: 'Amina N. Okello' },
      { field: 'notes', before: 'prefers SMS', after: '' },
    ]);
    expect(page.items[1]?.changes).toEqual([{ field: 'notes', before: '', after: 'prefers SMS' }]);
    expect(page.items[2]?.changes).toEqual([
      { field: 'phone', before: '+256700000001', after: '+256700000002' },
    ]);
    expect(page.items[3]?.changes).toEqual(
      expect.arrayContaining([
        { field: 'fullName', before: null, after: 'Amina Okello' },
        { field: 'branchId', before: null, after: branchA },
      ]),
    );
    const times = page.items.map((e) => Date.parse(e.at));
    expect([...times].sort((x, y) => y - x)).toEqual(times);

    // Paged one entry at a time, the diffs are the same (each page reads the version before).
    const paged = await allHistory(id, admin, 1);
    expect(paged.pages).toBe(4);
    expect(paged.items).toEqual(page.items);
  });

  it('has a history for every resource the API exposes', async () => {
    for (const resource of resourceNames) {
      const list = await t.request(`/api/${resource}?limit=1`, { token: admin });
      const first = ((await list.json()) as { items: { id: string }[] }).items[0];
      if (!first) throw new Error(`the seed has ${resource}`);
      const { status, body } = await history(resource, first.id, admin);
      expect(status, resource).toBe(200);
      const page = body as HistoryPage;
      expect(page.resource).toBe(resource);
      expect(page.items.at(-1)?.action, resource).toBe('created');
    }
  });

  it('keeps the whole history after the real trim moves it into the month partitions of the archive', async () => {
    const { id } = await editedClient();
    const before = (await allHistory(id, admin, 50)).items;
    expect(before).toHaveLength(4);

    // Age the four changes 40, 70, 100 and 130 days: past the 30-day retention, over several months.
    await t.api.pool.query(
      `UPDATE sync_log SET published_at = now(),
              changed_at = now() - make_interval(days => 10 + 30 * version)
        WHERE record_id = $1`,
      [id],
    );
    const expectedMonths = (
      await t.api.pool.query<{ part: string }>(
        `SELECT DISTINCT 'sync_log_archive_' || to_char(changed_at AT TIME ZONE 'UTC', '"y"YYYY"m"MM') AS part
           FROM sync_log WHERE record_id = $1 ORDER BY 1`,
        [id],
      )
    ).rows.map((r) => r.part);
    expect(expectedMonths.length).toBeGreaterThanOrEqual(4);
    const aged = (await allHistory(id, admin, 50)).items;

    const client = await t.api.pool.connect();
    try {
      expect(await trimLog(client, 30 * 24 * 3600 * 1000)).toBeGreaterThanOrEqual(4);
    } finally {
      client.release();
    }

    const live = await t.api.pool.query('SELECT 1 FROM sync_log WHERE record_id = $1', [id]);
    expect(live.rowCount).toBe(0);
    const archived = await t.api.pool.query<{ part: string }>(
      `SELECT tableoid::regclass::text AS part FROM sync_log_archive WHERE record_id = $1 ORDER BY version`,
      [id],
    );
    expect(archived.rows.map((r) => r.part).sort()).toEqual(expectedMonths);
    const partitions = await t.api.pool.query<{ part: string }>(
      `SELECT inhrelid::regclass::text AS part FROM pg_inherits
        WHERE inhparent = 'sync_log_archive'::regclass`,
    );
    expect(partitions.rows.map((r) => r.part)).toEqual(expect.arrayContaining(expectedMonths));

    for (const limit of [50, 3, 1]) {
      const after = (await allHistory(id, editors[0]?.token ?? '', limit)).items;
      expect(after.every((e) => e.archived)).toBe(true);
      expect(after.map(({ archived: _a, ...e }) => e)).toEqual(
        aged.map(({ archived: _a, ...e }) => e),
      );
    }
    // The diffs and actors survived the move unchanged; only the times were aged above.
    expect(aged.map((e) => [e.version, e.actor, e.origin, e.changes])).toEqual(
      before.map((e) => [e.version, e.actor, e.origin, e.changes]),
    );

    // A new edit lands in the live log and reads after the archived ones.
    const current = (await (await t.request(`/api/clients/${id}`, { token: admin })).json()) as {
      version: number;
    };
    const res = await t.request(`/api/clients/${id}`, {
      method: 'PATCH',
      token: admin,
      headers: { 'if-match': `"${current.version}"` },
      json: { notes: 'after the trim' },
    });
    expect(res.status).toBe(200);
    const mixed = (await allHistory(id, admin, 2)).items;
    expect(mixed.map((e) => [e.version, e.archived])).toEqual([
      [5, false],
      [4, true],
      [3, true],
      [2, true],
      [1, true],
    ]);
    expect(mixed[0]?.changes).toEqual([{ field: 'notes', before: '', after: 'after the trim' }]);
  });

  it('loses nothing when the move fails midway: the delete is undone with the archive insert', async () => {
    const { id } = await editedClient();
    await t.api.pool.query(
      `UPDATE sync_log SET published_at = now(), changed_at = '2020-01-15T12:00:00Z'
        WHERE record_id = $1`,
      [id],
    );
    // A table that is not a partition holds January 2020's name: the archive
    // has no month for these rows and their insert fails after the delete ran.
    await t.api.pool.query('CREATE TABLE sync_log_archive_y2020m01 (id bigint)');
    const trimmedBefore = (await t.api.pool.query('SELECT trimmed FROM relay_state')).rows[0];
    const client = await t.api.pool.connect();
    try {
      await expect(trimLog(client, 30 * 24 * 3600 * 1000)).rejects.toThrow(/partition/);
    } finally {
      client.release();
    }
    const live = await t.api.pool.query('SELECT 1 FROM sync_log WHERE record_id = $1', [id]);
    expect(live.rowCount).toBe(4);
    expect((await t.api.pool.query('SELECT trimmed FROM relay_state')).rows[0]).toEqual(
      trimmedBefore,
    );
    expect(((await history('clients', id, admin)).body as HistoryPage).items).toHaveLength(4);

    await t.api.pool.query('DROP TABLE sync_log_archive_y2020m01');
    const again = await t.api.pool.connect();
    try {
      expect(await trimLog(again, 30 * 24 * 3600 * 1000)).toBeGreaterThanOrEqual(4);
    } finally {
      again.release();
    }
    const items = ((await history('clients', id, admin)).body as HistoryPage).items;
    expect(items.map((e) => [e.version, e.archived])).toEqual([
      [4, true],
      [3, true],
      [2, true],
      [1, true],
    ]);
  });

  it('refuses UPDATE, DELETE and TRUNCATE on the archive; an operator drops whole months', async () => {
    const { id } = await editedClient();
    // A month no other test of this file uses, so dropping it below touches only this record.
    await t.api.pool.query(
      `UPDATE sync_log SET published_at = now(), changed_at = now() - interval '400 days'
        WHERE record_id = $1`,
      [id],
    );
    const client = await t.api.pool.connect();
    try {
      await trimLog(client, 30 * 24 * 3600 * 1000);
    } finally {
      client.release();
    }
    const count = async () =>
      (await t.api.pool.query('SELECT 1 FROM sync_log_archive WHERE record_id = $1', [id]))
        .rowCount;
    expect(await count()).toBe(4);
    await expect(
      t.api.pool.query(`UPDATE sync_log_archive SET actor = 'forger' WHERE record_id = $1`, [id]),
    ).rejects.toThrow(/append-only/);
    await expect(
      t.api.pool.query('DELETE FROM sync_log_archive WHERE record_id = $1', [id]),
    ).rejects.toThrow(/append-only/);
    const { rows } = await t.api.pool.query<{ part: string }>(
      `SELECT tableoid::regclass::text AS part FROM sync_log_archive WHERE record_id = $1 LIMIT 1`,
      [id],
    );
    // Straight at a partition as well.
    await expect(
      t.api.pool.query(`DELETE FROM ${rows[0]?.part} WHERE record_id = $1`, [id]),
    ).rejects.toThrow(/append-only/);
    await expect(t.api.pool.query('TRUNCATE sync_log_archive')).rejects.toThrow(/append-only/);
    expect(await count()).toBe(4);
    const actors = await t.api.pool.query<{ actor: string }>(
      'SELECT actor FROM sync_log_archive WHERE record_id = $1',
      [id],
    );
    expect(actors.rows.map((r) => r.actor)).not.toContain('forger');

    // The procedure of docs/operations.md: detach the month, then drop it.
    const month = rows[0]?.part;
    await t.api.pool.query(`ALTER TABLE sync_log_archive DETACH PARTITION ${month}`);
    await t.api.pool.query(`DROP TABLE ${month}`);
    expect(await count()).toBe(0);
    const { status, body } = await history('clients', id, admin);
    expect(status).toBe(200);
    expect((body as HistoryPage).items).toEqual([]);
  });

  it('answers a user of another branch exactly as for a missing id', async () => {
    const { id } = await editedClient();
    const staffB = await t.token('staff', [branchB], 'staff-b');
    const theirs = await history('clients', id, staffB);
    const missing = randomUUID();
    const none = await history('clients', missing, staffB);
    expect(theirs.status).toBe(404);
    expect(JSON.stringify(theirs).replaceAll(id, '<id>')).toBe(
      JSON.stringify(none).replaceAll(missing, '<id>'),
    );
    // The same record under another resource's path is not found either.
    expect((await history('employees', id, admin)).status).toBe(404);
    // And it stays visible to its own branch after a delete.
    const del = await t.request(`/api/clients/${id}`, {
      method: 'DELETE',
      token: editors[0]?.token,
    });
    expect(del.status).toBe(200);
    const own = await history('clients', id, editors[1]?.token ?? '');
    expect(own.status).toBe(200);
    const items = (own.body as HistoryPage).items;
    expect(items[0]).toMatchObject({ version: 5, action: 'deleted', actor: editors[0]?.sub });
    expect(items[0]?.changes?.map((c) => c.field)).toEqual(['deletedAt']);
    expect((await history('clients', id, staffB)).status).toBe(404);
  });

  it('refuses a bad id, cursor or limit with a 400 naming the field', async () => {
    const { id } = await editedClient();
    const fieldOf = (body: unknown) =>
      (body as { error: { details?: { issues?: { path: string }[] } } }).error.details?.issues?.map(
        (i) => i.path,
      );
    const cases: [string, string][] = [
      ['?limit=0', 'limit'],
      ['?limit=201', 'limit'],
      ['?limit=ten', 'limit'],
      ['?limit=-1', 'limit'],
      ['?cursor=', 'cursor'],
      ['?cursor=%00%01', 'cursor'],
      ['?cursor=not-a-cursor', 'cursor'],
      [`?cursor=${Buffer.from('[0,1]').toString('base64url')}`, 'cursor'],
      [`?cursor=${Buffer.from('{"v":3}').toString('base64url')}`, 'cursor'],
      [`?cursor=${'a'.repeat(101)}`, 'cursor'],
    ];
    for (const [query, field] of cases) {
      const { status, body } = await history('clients', id, admin, query);
      expect(status, query).toBe(400);
      expect(fieldOf(body), query).toContain(field);
    }
    // An unknown parameter is named in the message (zod reports it on the query itself).
    const unknown = await history('clients', id, admin, '?page=2');
    expect(unknown.status).toBe(400);
    expect(JSON.stringify(unknown.body)).toContain('page');
    const badId = await history('clients', 'not-a-uuid', admin);
    expect(badId.status).toBe(400);
    expect(fieldOf(badId.body)).toEqual(['id']);
  });
});
