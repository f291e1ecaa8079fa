import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiAs, eventually, syncLogReader } from './support/api.ts';
import {
  type ConsoleTab,
  chromiumPath,
  controlledByServiceWorker,
  launchChromium,
  openConsole,
  screenshot,
} from './support/browser.ts';
import { buildCluster, type RunningCluster, startCluster } from './support/launcher.ts';

const MANAGER = 'Kampala Branch Manager';
const STAFF = 'Kampala Pharmacy Staff';

let cluster: RunningCluster;
let browser: Browser;
let api: Awaited<ReturnType<typeof apiAs>>;
let syncLog: ReturnType<typeof syncLogReader>;
/** The Kampala branch, where both consoles work. */
let branchId: string;
/** Two consoles on the same branch, connected to different gateway replicas. */
let a: ConsoleTab;
let b: ConsoleTab;

const suffix = () => String(Date.now() % 1_000_000);
const row = (page: Page, text: string) => page.locator('tbody tr[data-id]', { hasText: text });
const versionOf = async (page: Page, text: string) =>
  Number(await row(page, text).first().getAttribute('data-version'));

/** Creates a client through the console's form and returns nothing; the row shows at once. */
async function createClient(tab: ConsoleTab, fullName: string) {
  await tab.page.getByRole('button', { name: 'New client' }).click();
  await tab.page.getByLabel('Full name').fill(fullName);
  await tab.page.getByRole('button', { name: 'Create' }).click();
  await tab.page.locator('dialog[open]').waitFor({ state: 'detached' });
  await row(tab.page, fullName).first().waitFor();
}

/** Opens the edit dialog of the row showing `text`. */
async function openEdit(tab: ConsoleTab, text: string) {
  await row(tab.page, text).first().getByRole('button', { name: 'Edit' }).click();
  await tab.page.locator('dialog[open]').waitFor();
}

async function save(tab: ConsoleTab) {
  await tab.page.getByRole('button', { name: 'Save' }).click();
  await tab.page.locator('dialog[open]').waitFor({ state: 'detached' });
}

/** The queue badge's count of writes not yet on the server. */
const pendingWrites = async (tab: ConsoleTab) =>
  Number(await tab.page.getByTestId('queue-badge').getAttribute('data-pending'));

beforeAll(async () => {
  chromiumPath();
  buildCluster();
  cluster = await startCluster();
  browser = await launchChromium();
  api = await apiAs(cluster.baseUrl, 'manager-kampala');
  syncLog = syncLogReader(cluster.databaseUrl);
  const kampala = api.user.branches[0];
  if (!kampala) throw new Error('manager-kampala has no branch');
  branchId = kampala;
}, 400_000);

afterAll(async () => {
  await browser?.close();
  await syncLog?.close();
  await cluster?.stop();
}, 60_000);

describe('web console against the local cluster', () => {
  let liveName: string;

  it('shows creates and edits live between consoles on different gateway replicas', async () => {
    a = await openConsole(browser, cluster.baseUrl, MANAGER);
    const replicaA = await a.replica();
    // Each context has its own sticky cookie; a few tries land on another replica.
    for (let attempt = 0; attempt < 6; attempt++) {
      const candidate = await openConsole(browser, cluster.baseUrl, STAFF);
      if ((await candidate.replica()) !== replicaA) {
        b = candidate;
        break;
      }
      await candidate.context.close();
    }
    if (!b) throw new Error(`every console landed on ${replicaA}`);
    expect(await b.replica()).toMatch(/^gw-\d+$/);
    expect(await b.replica()).not.toBe(replicaA);

    liveName = `Live Client ${suffix()}`;
    await createClient(a, liveName);
    await row(b.page, liveName).waitFor();
    expect(await row(b.page, liveName).count()).toBe(1);

    await openEdit(b, liveName);
    await b.page.getByLabel('Phone').fill('+256 700 111222');
    await save(b);
    await row(a.page, '+256 700 111222').waitFor();
    await expect.poll(() => versionOf(a.page, liveName)).toBe(2);
    await screenshot(a.page, '01-clients-live');
  }, 60_000);

  it('keeps offline writes across a reload and lands each exactly once', async () => {
    await b.offlineReady();
    await b.goto('orders', 'Orders');
    const order = b.page.locator('tbody tr[data-id]').first();
    await order.waitFor();
    const orderId = (await order.getAttribute('data-id')) ?? '';
    const orderVersion = Number(await order.getAttribute('data-version'));
    expect(orderVersion).toBeGreaterThan(0);

    await b.context.setOffline(true);
    await b.page.getByTestId('offline-banner').waitFor();
    // Even the service worker's own requests fail now: what the reload gets, it gets from its cache.
    const probe = await b.page.evaluate(() =>
      fetch('/not-cached.txt').then(
        (res) => `HTTP ${res.status}`,
        () => 'network error',
      ),
    );
    expect(probe).toBe('network error');
    const note = `Called back offline ${suffix()}`;
    await order.getByRole('button', { name: 'Edit' }).click();
    await b.page.getByLabel('Notes').fill(note);
    await save(b);
    await b.goto('clients', 'Clients');
    const offlineName = `Offline Client ${suffix()}`;
    await createClient(b, offlineName);

    // The reload is served by the service worker; the writes wait in IndexedDB.
    await b.page.reload();
    await b.page.getByRole('heading', { name: 'Clients', level: 1 }).waitFor();
    await row(b.page, offlineName).waitFor();
    expect(await b.page.getByTestId('offline-banner').textContent()).toContain('2 waiting');
    const clientId = (await row(b.page, offlineName).getAttribute('data-id')) ?? '';
    await screenshot(b.page, '02-offline-banner-queue');
    await b.goto('queue', 'Sync queue');
    expect(await b.page.locator('[data-testid="queue-item"][data-status="pending"]').count()).toBe(
      2,
    );
    await screenshot(b.page, '03-offline-queue-panel');
    await b.goto('clients', 'Clients');
    // The list comes from the device's replica, as of the last sync.
    await row(b.page, liveName).waitFor();
    await b.page.getByTestId('as-of').waitFor();
    expect(await b.page.getByText('Could not load clients').count()).toBe(0);

    await b.context.setOffline(false);
    // What could not load offline (the branch names) loads once the network is back.
    await b.page.getByLabel('Branch').locator('option', { hasText: 'Kampala' }).waitFor({
      state: 'attached',
    });
    await b.page.getByTestId('connection').and(b.page.locator('[data-state="live"]')).waitFor();
    await expect.poll(() => pendingWrites(b), { timeout: 20_000 }).toBe(0);

    const client = await eventually(
      () => api.get('clients', clientId),
      (c) => c.fullName === offlineName,
    );
    expect(client.version).toBe(1);
    const updated = await api.get('orders', orderId);
    expect(updated).toMatchObject({ notes: note, version: orderVersion + 1 });
    expect((await syncLog.entries(clientId)).map((e) => [e.action, e.version])).toEqual([
      ['created', 1],
    ]);
    const orderChanges = (await syncLog.entries(orderId)).filter((e) => e.version > orderVersion);
    expect(orderChanges.map((e) => [e.action, e.version])).toEqual([['updated', orderVersion + 1]]);
    // The other console got it live.
    await row(a.page, offlineName).waitFor();
    expect(await row(a.page, offlineName).count()).toBe(1);
  }, 90_000);

  it('shows the loser of a concurrent edit the conflict dialog and ends both on one version', async () => {
    const before = await versionOf(a.page, liveName);
    await openEdit(a, liveName);
    await openEdit(b, liveName);
    await b.page.getByLabel('Phone').fill('+256 700 333444');
    await save(b);
    // A's dialog notices the newer version before A saves.
    await a.page.getByText(`Someone else just saved version ${before + 1}`).waitFor();
    await a.page.getByLabel('Address').fill('Plot 9, Kampala Road');
    await a.page.getByRole('button', { name: 'Save' }).click();

    const dialog = a.page.locator('dialog[open]', {
      has: a.page.getByRole('heading', { name: /Conflict/ }),
    });
    await dialog.waitFor();
    expect(await dialog.getByRole('rowheader').allTextContents()).toEqual(['Address']);
    await screenshot(a.page, '04-conflict-dialog');
    await dialog.getByRole('button', { name: 'Merge selected' }).click();
    await dialog.waitFor({ state: 'detached' });

    const id = (await row(a.page, liveName).getAttribute('data-id')) ?? '';
    const server = await eventually(
      () => api.get('clients', id),
      (c) => c.version === before + 2,
    );
    expect(server).toMatchObject({ address: 'Plot 9, Kampala Road', phone: '+256 700 333444' });
    for (const tab of [a, b]) {
      await expect.poll(() => versionOf(tab.page, liveName)).toBe(server.version);
      await row(tab.page, '+256 700 333444').waitFor();
    }
    expect(await pendingWrites(a)).toBe(0);
    expect((await syncLog.entries(id)).map((e) => e.version)).toEqual([1, 2, 3, 4]);
  }, 60_000);

  it('sets a refused queued write aside without holding back the writes behind it', async () => {
    await b.context.setOffline(true);
    await b.page.getByTestId('offline-banner').waitFor();
    const refusedName = `Refused Client ${suffix()}`;
    const acceptedName = `Accepted Client ${suffix()}`;
    // Queued through the drop-in module: the same IndexedDB queue as the console's.
    // (A string, so the test runner's transform leaves the browser's import() alone.)
    const args = JSON.stringify({ branchId, refusedName, acceptedName });
    const queued = (await b.page.evaluate(`(async ({ branchId, refusedName, acceptedName }) => {
      const { offlineSyncQueue: queue } = await import('/web-modules/offline-sync.js');
      const refused = await queue.queueOperation({
        resource: 'clients',
        action: 'create',
        data: { branchId, fullName: refusedName, email: 'not-an-email' },
      });
      const accepted = await queue.queueOperation({
        resource: 'clients',
        action: 'create',
        data: { branchId, fullName: acceptedName },
      });
      return { refused: refused.recordId, accepted: accepted.recordId };
    })(${args})`)) as { refused: string; accepted: string };
    await row(b.page, acceptedName).waitFor();

    await b.context.setOffline(false);
    await b.goto('queue', 'Sync queue');
    const refused = b.page.locator('[data-testid="queue-item"][data-status="rejected"]');
    await refused.waitFor({ timeout: 20_000 });
    expect(await refused.count()).toBe(1);
    expect(await refused.getAttribute('data-record-id')).toBe(queued.refused);
    expect(await refused.textContent()).toMatch(/HTTP 400.*email/s);
    await b.page.getByTestId('connection').and(b.page.locator('[data-state="live"]')).waitFor();
    await screenshot(b.page, '05-queue-refused');

    const accepted = await eventually(
      () => api.get('clients', queued.accepted),
      (c) => c.version === 1,
    );
    expect(accepted.fullName).toBe(acceptedName);
    await row(a.page, acceptedName).waitFor();
    expect(await syncLog.entries(queued.refused)).toEqual([]);

    await refused.getByRole('button', { name: 'Discard' }).click();
    await refused.waitFor({ state: 'detached' });
    await b.goto('clients', 'Clients');
  }, 60_000);

  it('serves the plain HTML example page live and syncs its offline create once', async () => {
    const context = await browser.newContext({ baseURL: cluster.baseUrl });
    context.setDefaultTimeout(15_000);
    try {
      const page = await context.newPage();
      await page.goto('/examples/clients.html');
      await page.locator('#user').selectOption('manager-kampala');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.locator('#status', { hasText: /^Live/ }).waitFor();

      const liveExample = `Example Live ${suffix()}`;
      await createClient(b, liveExample);
      await page.locator('#clients li', { hasText: liveExample }).waitFor();

      // The page registers the console's service worker too.
      await controlledByServiceWorker(page);
      await page.locator('#status', { hasText: /^Live/ }).waitFor();
      await context.setOffline(true);
      await page.locator('#status', { hasText: /^Offline/ }).waitFor();
      const offlineExample = `Example Offline ${suffix()}`;
      await page.getByLabel('Full name').fill(offlineExample);
      await page.getByRole('button', { name: /Create/ }).click();
      await page.locator('#clients li.pending', { hasText: offlineExample }).waitFor();
      await page.reload();
      await page.locator('#clients li.pending', { hasText: offlineExample }).waitFor();
      await screenshot(page, '06-example-offline');

      await context.setOffline(false);
      const synced = page.locator('#clients li[data-id]', { hasText: offlineExample });
      await synced.waitFor({ timeout: 20_000 });
      await page.locator('#status', { hasText: /^Live.*0 pending/ }).waitFor();
      const id = (await synced.getAttribute('data-id')) ?? '';
      expect((await api.get('clients', id)).version).toBe(1);
      expect((await syncLog.entries(id)).map((e) => e.action)).toEqual(['created']);
      await row(a.page, offlineExample).waitFor();
      expect(await row(a.page, offlineExample).count()).toBe(1);
      await screenshot(page, '07-example-page');
    } finally {
      await context.close();
    }
  }, 60_000);

  it('shows every gateway replica on the operator page', async () => {
    const admin = await openConsole(browser, cluster.baseUrl, 'Head Office Admin');
    try {
      await admin.goto('operator', 'Operator');
      for (const replica of ['gw-1', 'gw-2', 'gw-3']) {
        await admin.page.getByRole('rowheader', { name: new RegExp(`^${replica}`) }).waitFor();
      }
      await screenshot(admin.page, '08-operator');
    } finally {
      await admin.context.close();
    }
  }, 30_000);
});
