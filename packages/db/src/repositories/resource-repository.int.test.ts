import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BadRequestError,
  ConflictError,
  ForbiddenError,
  InvalidCursorError,
  NotFoundError,
  VersionConflictError,
} from '../errors.ts';
import { admin, createFixtures, logOf, openTestDb } from '../test/database.ts';

let t: Awaited<ReturnType<typeof openTestDb>>;
let f: Awaited<ReturnType<typeof createFixtures>>;

beforeAll(async () => {
  t = await openTestDb();
  f = await createFixtures(t.db, 'repo');
});
afterAll(() => t?.close());

describe('update', () => {
  it('refuses a stale version with a VersionConflictError carrying the current row', async () => {
    const { record } = await t.repos.clients.create(
      { branchId: f.north.id, fullName: 'Faith Wanjala' },
      admin,
    );
    const current = await t.repos.clients.update(record.id, { notes: 'called' }, 1, admin);
    const error = await t.repos.clients
      .update(record.id, { notes: 'overwrite' }, 1, admin)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VersionConflictError);
    expect((error as VersionConflictError).code).toBe('version_conflict');
    expect((error as VersionConflictError).current).toEqual(current);
    expect((await t.repos.clients.get(record.id, 'all')).notes).toBe('called');
  });

  it('returns the row unchanged for a patch that changes nothing', async () => {
    const { record } = await t.repos.clients.create(
      { branchId: f.north.id, fullName: 'Peter Kariuki' },
      admin,
    );
    const same = await t.repos.clients.update(record.id, { fullName: 'Peter Kariuki' }, 1, admin);
    expect(same).toEqual(record);
    expect(await logOf(t.db, record.id)).toHaveLength(1);
  });

  it('maps constraint violations to typed errors', async () => {
    const stockId = f.stock[`${f.south.id}:${f.paracetamol.id}`] ?? '';
    const row = await t.repos.stock.get(stockId, 'all');
    await expect(
      t.repos.stock.create(
        { branchId: f.south.id, productId: f.paracetamol.id, quantity: 1 },
        admin,
      ),
    ).rejects.toBeInstanceOf(ConflictError);
    await expect(
      t.repos.stock.update(stockId, { quantity: -1 }, row.version, admin),
    ).rejects.toBeInstanceOf(BadRequestError);
  });
});

describe('create with a client-supplied id', () => {
  it('is idempotent for the same content and a conflict for different content', async () => {
    const id = '01890a5d-ac96-774b-bcce-b302099a8057';
    const input = {
      id,
      branchId: f.north.id,
      fullName: 'Halima Mbabazi',
      phone: '+256 772 100 200',
    };
    const first = await t.repos.clients.create(input, admin);
    const again = await t.repos.clients.create(input, admin);
    expect(first.created).toBe(true);
    expect(again).toEqual({ record: first.record, created: false });
    expect(await logOf(t.db, id)).toHaveLength(1);
    await expect(
      t.repos.clients.create({ ...input, fullName: 'Someone Else' }, admin),
    ).rejects.toBeInstanceOf(ConflictError);
  });

  it('handles concurrent creates of the same id: one row, one log entry', async () => {
    const id = '01890a5d-ac96-774b-bcce-b302099a8058';
    const input = { id, branchId: f.south.id, fullName: 'Zawadi Kimaro' };
    const results = await Promise.all(
      Array.from({ length: 5 }, () => t.repos.clients.create(input, admin)),
    );
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(await logOf(t.db, id)).toHaveLength(1);
  });
});

describe('scope', () => {
  it('hides other branches as not found and refuses writes to them', async () => {
    const northOnly = [f.north.id];
    await expect(t.repos.clients.get(f.southClient.id, northOnly)).rejects.toBeInstanceOf(
      NotFoundError,
    );
    await expect(
      t.repos.clients.update(f.southClient.id, { notes: 'x' }, 1, { scope: northOnly }),
    ).rejects.toBeInstanceOf(NotFoundError);
    await expect(
      t.repos.clients.create({ branchId: f.south.id, fullName: 'Sneaky' }, { scope: northOnly }),
    ).rejects.toBeInstanceOf(ForbiddenError);
    const page = await t.repos.clients.list({ scope: northOnly, limit: 500 });
    expect(page.items.length).toBeGreaterThan(0);
    expect(page.items.every((c) => c.branchId === f.north.id)).toBe(true);
    const branchesSeen = await t.repos.branches.list({ scope: northOnly });
    expect(branchesSeen.items.map((b) => b.id)).toEqual([f.north.id]);
  });

  it('shows global products to everyone but lets only scope "all" change them', async () => {
    expect((await t.repos.products.get(f.paracetamol.id, [])).branchId).toBeNull();
    await expect(
      t.repos.products.update(f.paracetamol.id, { unitPriceCents: 1 }, 1, { scope: [f.north.id] }),
    ).rejects.toBeInstanceOf(ForbiddenError);
  });

  it('treats a malformed id as not found', async () => {
    await expect(t.repos.clients.get('not-a-uuid', 'all')).rejects.toBeInstanceOf(NotFoundError);
  });
});

describe('soft delete', () => {
  it('is a new version, hidden from lists unless asked, and idempotent', async () => {
    const { record } = await t.repos.employees.create(
      {
        branchId: f.north.id,
        fullName: 'Moses Habimana',
        email: 'moses@example.com',
        position: 'driver',
      },
      admin,
    );
    await expect(t.repos.employees.remove(record.id, 7, admin)).rejects.toBeInstanceOf(
      VersionConflictError,
    );
    const removed = await t.repos.employees.remove(record.id, 1, admin);
    expect(removed.version).toBe(2);
    expect(removed.deletedAt).not.toBeNull();
    expect(await t.repos.employees.remove(record.id, undefined, admin)).toEqual(removed);
    await expect(t.repos.employees.get(record.id, 'all')).rejects.toBeInstanceOf(NotFoundError);
    expect(await t.repos.employees.get(record.id, 'all', { includeDeleted: true })).toEqual(
      removed,
    );
    const visible = await t.repos.employees.list({ scope: 'all', limit: 500 });
    expect(visible.items.some((e) => e.id === record.id)).toBe(false);
    const all = await t.repos.employees.list({ scope: 'all', includeDeleted: true, limit: 500 });
    expect(all.items.some((e) => e.id === record.id)).toBe(true);
    expect((await logOf(t.db, record.id)).map((r) => r.action)).toEqual(['created', 'deleted']);
  });
});

describe('list', () => {
  it('pages through every row exactly once in (updatedAt, id) order', async () => {
    const branch = (
      await t.repos.branches.create({ code: 'PAGE-1', name: 'Paging', city: 'Kigali' }, admin)
    ).record;
    const created = await Promise.all(
      Array.from({ length: 23 }, (_, i) =>
        t.repos.clients.create({ branchId: branch.id, fullName: `Client ${i}` }, admin),
      ),
    );
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await t.repos.clients.list({
        scope: 'all',
        branchId: branch.id,
        limit: 5,
        ...(cursor ? { cursor } : {}),
      });
      seen.push(...page.items.map((c) => c.id));
      cursor = page.nextCursor ?? undefined;
      pages++;
    } while (cursor);
    expect(pages).toBe(5);
    expect(seen).toHaveLength(23);
    expect(new Set(seen)).toEqual(new Set(created.map((c) => c.record.id)));
  });

  it('reports a malformed cursor or limit as a bad request', async () => {
    await expect(t.repos.clients.list({ scope: 'all', cursor: 'garbage!' })).rejects.toBeInstanceOf(
      InvalidCursorError,
    );
    await expect(
      t.repos.clients.list({ scope: 'all', cursor: Buffer.from('[1,2]').toString('base64url') }),
    ).rejects.toBeInstanceOf(BadRequestError);
    await expect(t.repos.clients.list({ scope: 'all', limit: 0 })).rejects.toBeInstanceOf(
      BadRequestError,
    );
  });

  it('filters reports by date range and by updatedSince', async () => {
    for (const reportDate of ['2024-03-01', '2024-03-02', '2024-03-03']) {
      await t.repos.reports.create({ branchId: f.south.id, reportDate, ordersCount: 3 }, admin);
    }
    const page = await t.repos.reports.list({
      scope: 'all',
      branchId: f.south.id,
      from: '2024-03-02',
      to: '2024-03-03',
    });
    expect(page.items.map((r) => r.reportDate).sort()).toEqual(['2024-03-02', '2024-03-03']);
    const future = await t.repos.reports.list({
      scope: 'all',
      updatedSince: new Date(Date.now() + 60_000).toISOString(),
    });
    expect(future.items).toEqual([]);
    await expect(t.repos.reports.list({ scope: 'all', from: '03/02/2024' })).rejects.toBeInstanceOf(
      BadRequestError,
    );
  });
});
