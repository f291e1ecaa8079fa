import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiRecord } from './support/api.ts';
import { launchChromium, openConsole } from './support/browser.ts';
import { buildCluster, type RunningCluster, repoRoot, startCluster } from './support/launcher.ts';

/** Screenshots the branch guide shows (committed, unlike `artifacts/`). */
const docsImages = join(repoRoot, 'docs/images');

let cluster: RunningCluster;
let browser: Browser;
let db: pg.Pool;

const suffix = () => Math.random().toString(36).slice(2, 8);
const dbName = (userId: string) => `dynapharm-replica:${userId}`;

interface DeviceRow {
  resource: string;
  id: string;
  branchId: string;
  version: number;
}

/** The live rows of a user's replica, read straight from IndexedDB in the page (null: no such database). */
function deviceRows(page: Page, userId: string): Promise<DeviceRow[] | null> {
  return page.evaluate(async (name) => {
    const dbs = await indexedDB.databases();
    if (!dbs.some((d) => d.name === name)) return null;
    return new Promise<DeviceRow[]>((resolve, reject) => {
      const open = indexedDB.open(name);
      open.onerror = () => reject(open.error);
      open.onsuccess = () => {
        const idb = open.result;
        const all = idb.transaction('rows').objectStore('rows').getAll();
        all.onerror = () => reject(all.error);
        all.onsuccess = () => {
          idb.close();
          resolve(
            (all.result as (DeviceRow & { deleted: number })[])
              .filter((r) => r.deleted === 0)
              .map(({ resource, id, branchId, version }) => ({ resource, id, branchId, version })),
          );
        };
      };
    });
  }, dbName(userId));
}

/** The stored stream position of a user's replica. */
function devicePosition(page: Page, userId: string) {
  return page.evaluate(async (name) => {
    return new Promise<{ offset: number; epoch: string } | undefined>((resolve, reject) => {
      const open = indexedDB.open(name);
      open.onerror = () => reject(open.error);
      open.onsuccess = () => {
        const idb = open.result;
        const get = idb.transaction('meta').objectStore('meta').get('state');
        get.onerror = () => reject(get.error);
        get.onsuccess = () => {
          idb.close();
          resolve((get.result as { position?: { offset: number; epoch: string } })?.position);
        };
      };
    });
  }, dbName(userId));
}

async function replicaDatabases(page: Page): Promise<string[]> {
  return page.evaluate(async () =>
    (await indexedDB.databases())
      .map((d) => d.name ?? '')
      .filter((n) => n.startsWith('dynapharm-replica:')),
  );
}

/** Every live client the API gives `userId`, as `id@version`. */
async function serverClients(userId: string): Promise<string[]> {
  const login = await fetch(`${cluster.baseUrl}/api/auth/dev-login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ userId }),
  });
  const { token } = (await login.json()) as { token: string };
  const out: string[] = [];
  let cursor = '';
  for (;;) {
    const res = await fetch(
      `${cluster.baseUrl}/api/clients?limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      { headers: { authorization: `Bearer ${token}` } },
    );
    const page = (await res.json()) as { items: ApiRecord[]; nextCursor: string | null };
    out.push(...page.items.map((c) => `${c.id}@${c.version}`));
    if (!page.nextCursor) return out.sort();
    cursor = page.nextCursor;
  }
}

const row = (page: Page, text: string) => page.locator('tbody tr[data-id]', { hasText: text });

beforeAll(async () => {
  buildCluster();
  cluster = await startCluster();
  browser = await launchChromium();
  db = new pg.Pool({ connectionString: cluster.databaseUrl, max: 2 });
  mkdirSync(docsImages, { recursive: true });
}, 400_000);

afterAll(async () => {
  await browser?.close();
  await db?.end();
  await cluster?.stop();
}, 60_000);

describe('the device replica in the console', () => {
  it('an offline reload shows the last synced rows and the pending writes', async () => {
    const tab = await openConsole(browser, cluster.baseUrl, 'Kampala Branch Manager');
    const { page, context } = tab;
    try {
      await tab.offlineReady();
      const first = page.locator('tbody tr[data-id]').first();
      const knownName = (await first.locator('td').first().textContent())?.trim() ?? '';
      expect(knownName).not.toBe('');

      await context.setOffline(true);
      await page.getByTestId('offline-banner').waitFor();
      const offlineName = `Offline Replica ${suffix()}`;
      await page.getByRole('button', { name: 'New client' }).click();
      await page.getByLabel('Full name').fill(offlineName);
      await page.getByRole('button', { name: 'Create' }).click();
      await page.locator('dialog[open]').waitFor({ state: 'detached' });
      await row(page, offlineName).waitFor();

      await page.reload();
      await page.getByRole('heading', { name: 'Clients', level: 1 }).waitFor();
      await row(page, knownName).waitFor();
      await row(page, offlineName).and(page.locator('[data-sync="pending"]')).waitFor();
      await page.getByTestId('as-of').waitFor();
      expect(await page.getByText(/Could not load/).count()).toBe(0);
      // The branch selector lists the branch from the device's copy, too.
      await expect
        .poll(() => page.getByLabel('Branch').locator('option:checked').textContent())
        .toContain('Kampala');
      await page.screenshot({ path: join(docsImages, 'offline-reload.png') });

      await context.setOffline(false);
      await page.getByTestId('connection').and(page.locator('[data-state="live"]')).waitFor();
      const confirmed = row(page, offlineName).and(page.locator(':not([data-sync])'));
      await confirmed.waitFor({ timeout: 20_000 });
      const id = (await confirmed.getAttribute('data-id')) ?? '';
      await expect
        .poll(async () => (await deviceRows(page, 'manager-kampala'))?.some((r) => r.id === id))
        .toBe(true);
      await page.getByTestId('as-of').waitFor({ state: 'detached' });
      await page.screenshot({ path: join(docsImages, 'live-after-sync.png') });
    } finally {
      await context.close();
    }
  }, 120_000);

  it('two users on one browser: after A signs out, A’s rows are not readable', async () => {
    const tab = await openConsole(browser, cluster.baseUrl, 'Kampala Branch Manager');
    const { page, context } = tab;
    try {
      await expect
        .poll(async () => (await deviceRows(page, 'manager-kampala'))?.length ?? 0)
        .toBeGreaterThan(0);
      const kampalaRows = (await deviceRows(page, 'manager-kampala')) ?? [];
      const kampala = kampalaRows.find((r) => r.resource === 'clients')?.branchId ?? '';

      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.getByRole('button', { name: /Nairobi Branch Manager/ }).waitFor();
      await expect.poll(() => replicaDatabases(page)).toEqual([]);
      expect(await deviceRows(page, 'manager-kampala')).toBeNull();

      await page.getByRole('button', { name: /Nairobi Branch Manager/ }).click();
      await page.locator('table tbody tr[data-id]').first().waitFor();
      await expect.poll(() => replicaDatabases(page)).toEqual([dbName('manager-nairobi')]);
      const nairobiRows = (await deviceRows(page, 'manager-nairobi')) ?? [];
      expect(nairobiRows.length).toBeGreaterThan(0);
      expect(nairobiRows.filter((r) => r.branchId === kampala)).toEqual([]);
      const kampalaIds = new Set(kampalaRows.filter((r) => r.branchId !== '').map((r) => r.id));
      expect(nairobiRows.filter((r) => kampalaIds.has(r.id) && r.resource !== 'products')).toEqual(
        [],
      );
    } finally {
      await context.close();
    }
  }, 120_000);

  it('a new epoch makes the page take a new snapshot and end equal to the server', async () => {
    const tab = await openConsole(browser, cluster.baseUrl, 'Kampala Pharmacy Staff');
    const { page, context } = tab;
    try {
      await expect.poll(() => devicePosition(page, 'staff-kampala')).toBeDefined();
      const before = await devicePosition(page, 'staff-kampala');
      const { rows } = await db.query<{ epoch: string }>(
        'UPDATE relay_state SET epoch = gen_random_uuid() RETURNING epoch::text',
      );
      const epoch = rows[0]?.epoch ?? '';
      expect(epoch).not.toBe(before?.epoch);
      // A reconnect makes the client catch up, which learns the new epoch.
      await context.setOffline(true);
      await page.getByTestId('connection').and(page.locator('[data-state="offline"]')).waitFor();
      await context.setOffline(false);
      await expect
        .poll(async () => (await devicePosition(page, 'staff-kampala'))?.epoch, { timeout: 60_000 })
        .toBe(epoch);
      const device = ((await deviceRows(page, 'staff-kampala')) ?? [])
        .filter((r) => r.resource === 'clients')
        .map((r) => `${r.id}@${r.version}`)
        .sort();
      expect(device).toEqual(await serverClients('staff-kampala'));
    } finally {
      await context.close();
    }
  }, 120_000);

  it('a device offline for a day catches up by changes, and by a snapshot only beyond retention', async () => {
    const tab = await openConsole(browser, cluster.baseUrl, 'Nairobi Pharmacy Staff');
    const { page, context } = tab;
    const requests = { snapshot: 0, changes: 0 };
    page.on('request', (req) => {
      const path = new URL(req.url()).pathname;
      if (path === '/api/snapshot') requests.snapshot++;
      if (path === '/api/changes') requests.changes++;
    });
    const nairobi =
      (
        await db.query<{ branches: string[] }>(
          "SELECT branches FROM users WHERE id = 'staff-nairobi'",
        )
      ).rows[0]?.branches[0] ?? '';
    // A day of the branch's work, made elsewhere while the device is away:
    // new clients, every client edited several times, some removed.
    const busyDay = async (label: string) => {
      await db.query(
        `INSERT INTO clients (id, branch_id, full_name)
         SELECT gen_random_uuid(), $1, $2 || ' client ' || n FROM generate_series(1, 300) AS n`,
        [nairobi, label],
      );
      for (let round = 0; round < 5; round++) {
        await db.query(
          `UPDATE clients SET notes = $2 || ' round ' || $3 WHERE branch_id = $1 AND deleted_at IS NULL`,
          [nairobi, label, round],
        );
      }
      await db.query(
        `UPDATE clients SET deleted_at = now() WHERE id IN (
           SELECT id FROM clients WHERE branch_id = $1 AND deleted_at IS NULL ORDER BY id LIMIT 25)`,
        [nairobi],
      );
    };
    /** The stream's head once the relay numbered and published everything committed. */
    const head = async () => {
      await expect
        .poll(
          async () =>
            (await db.query('SELECT 1 FROM sync_log WHERE published_at IS NULL LIMIT 1')).rowCount,
          { timeout: 30_000 },
        )
        .toBe(0);
      return Number(
        (await db.query<{ head: string }>('SELECT head FROM relay_state')).rows[0]?.head ?? 0,
      );
    };
    const deviceClients = async () =>
      ((await deviceRows(page, 'staff-nairobi')) ?? [])
        .filter((r) => r.resource === 'clients')
        .map((r) => `${r.id}@${r.version}`)
        .sort();
    const goOffline = async () => {
      await context.setOffline(true);
      await page.getByTestId('connection').and(page.locator('[data-state="offline"]')).waitFor();
    };
    try {
      await expect.poll(() => devicePosition(page, 'staff-nairobi')).toBeDefined();
      const left = (await devicePosition(page, 'staff-nairobi'))?.offset ?? 0;

      await goOffline();
      await busyDay('Away');
      const missed = await head();
      expect(missed - left).toBeGreaterThan(1_500);
      requests.snapshot = 0;
      requests.changes = 0;
      await context.setOffline(false);
      await expect
        .poll(async () => (await devicePosition(page, 'staff-nairobi'))?.offset ?? 0, {
          timeout: 60_000,
        })
        .toBeGreaterThanOrEqual(missed);
      expect(await deviceClients()).toEqual(await serverClients('staff-nairobi'));
      expect(requests).toMatchObject({ snapshot: 0 });
      expect(requests.changes).toBeGreaterThan(0);

      // Away longer than the log keeps: the changes it missed are trimmed, so it
      // cannot catch up by changes and takes a new snapshot instead.
      await goOffline();
      await busyDay('Long away');
      await head();
      await db.query('SELECT sync_log_trim(0, 1000000)');
      requests.snapshot = 0;
      await context.setOffline(false);
      await expect.poll(() => requests.snapshot, { timeout: 60_000 }).toBeGreaterThan(0);
      await expect
        .poll(async () => (await devicePosition(page, 'staff-nairobi'))?.offset ?? 0, {
          timeout: 60_000,
        })
        .toBeGreaterThanOrEqual(await head());
      await expect
        .poll(deviceClients, { timeout: 30_000 })
        .toEqual(await serverClients('staff-nairobi'));
    } finally {
      await context.close();
    }
  }, 180_000);

  it('a token with fewer branches purges the removed branch from the device', async () => {
    const branchOf = async (slug: string) =>
      (await db.query<{ branches: string[] }>('SELECT branches FROM users WHERE id = $1', [slug]))
        .rows[0]?.branches[0] ?? '';
    const kigali = await branchOf('staff-kigali');
    const mombasa = await branchOf('staff-mombasa');
    await db.query('UPDATE users SET branches = $2 WHERE id = $1', [
      'staff-kigali',
      [kigali, mombasa],
    ]);
    const tab = await openConsole(browser, cluster.baseUrl, 'Kigali Pharmacy Staff');
    const { page, context } = tab;
    try {
      await expect
        .poll(async () =>
          ((await deviceRows(page, 'staff-kigali')) ?? []).some((r) => r.branchId === mombasa),
        )
        .toBe(true);

      // The branch is revoked: the next token has Kigali only.
      await db.query('UPDATE users SET branches = $2 WHERE id = $1', ['staff-kigali', [kigali]]);
      const login = await fetch(`${cluster.baseUrl}/api/auth/dev-login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ userId: 'staff-kigali' }),
      });
      const { token, user } = (await login.json()) as { token: string; user: unknown };
      await page.evaluate(
        ({ token, user }) => {
          localStorage.setItem('dynapharm.token', token);
          localStorage.setItem('dynapharm.user', JSON.stringify(user));
        },
        { token, user },
      );
      await page.reload();
      await page.locator('table tbody tr[data-id]').first().waitFor();
      await expect
        .poll(async () =>
          ((await deviceRows(page, 'staff-kigali')) ?? []).filter((r) => r.branchId === mombasa),
        )
        .toEqual([]);
      expect(
        ((await deviceRows(page, 'staff-kigali')) ?? []).some((r) => r.branchId === kigali),
      ).toBe(true);
    } finally {
      await context.close();
    }
  }, 120_000);
});
