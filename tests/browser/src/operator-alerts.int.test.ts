import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type PrometheusServer, startPrometheus } from '@dynapharm/testkit';
import pg from 'pg';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, openConsole } from './support/browser.ts';
import { buildCluster, type RunningCluster, repoRoot, startCluster } from './support/launcher.ts';

const docsImages = join(repoRoot, 'docs/images');

let prometheus: PrometheusServer;
let cluster: RunningCluster;
let browser: Browser;

beforeAll(async () => {
  buildCluster();
  prometheus = await startPrometheus([
    {
      alert: 'RelayLagHigh',
      expr: 'vector(1) > 0',
      labels: { severity: 'critical' },
      annotations: { summary: 'A rule of the test that always fires' },
    },
  ]);
  cluster = await startCluster({ PROMETHEUS_URL: prometheus.url });
  browser = await launchChromium();
  mkdirSync(docsImages, { recursive: true });
}, 400_000);

afterAll(async () => {
  await browser?.close();
  await cluster?.stop();
  await prometheus?.stop();
}, 60_000);

/** Signs in through the dev login and creates `count` clients in the user's first branch. */
async function writeClients(userId: string, count: number) {
  const login = await fetch(`${cluster.baseUrl}/api/auth/dev-login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ userId }),
  });
  const { token, user } = (await login.json()) as { token: string; user: { branches: string[] } };
  for (let i = 0; i < count; i++) {
    const res = await fetch(`${cluster.baseUrl}/api/clients`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ branchId: user.branches[0], fullName: `Relay lag probe ${i}` }),
    });
    expect(res.status).toBe(201);
  }
}

describe('relay lag and alerts on the operator page', () => {
  it('shows a real relay backlog and the firing alert next to the replicas', async () => {
    const admin = await openConsole(browser, cluster.baseUrl, 'Head Office Admin');
    // A transaction holding relay_state's row lock: the relay's next claim waits
    // behind it, as it would behind any stuck statement, while writes still commit.
    const blocker = new pg.Client({ connectionString: cluster.databaseUrl });
    await blocker.connect();
    try {
      await admin.goto('operator', 'Operator');
      const panel = admin.page.getByTestId('ops-status');
      const lag = () => panel.getByTestId('relay-lag-changes').textContent();
      const relayState = () =>
        panel.locator('tr[data-relay-status]').getAttribute('data-relay-status');
      await expect.poll(relayState, { timeout: 30_000 }).toBe('ok');
      expect(await lag()).toBe('0');

      const alert = panel.locator('tr[data-alert="RelayLagHigh"]');
      await alert.waitFor({ timeout: 30_000 });
      expect(await alert.locator('td[data-label="State"]').textContent()).toBe('firing');
      expect(await alert.locator('td[data-label="Severity"]').textContent()).toBe('critical');

      await blocker.query('BEGIN');
      await blocker.query('SELECT head FROM relay_state WHERE id = 1 FOR UPDATE');
      await writeClients('manager-kampala', 5);
      await expect.poll(lag, { timeout: 30_000 }).toBe('5 (5 unclaimed)');
      expect(await relayState()).toBe('lagging');
      await expect
        .poll(async () => Number(await panel.getByTestId('relay-lag-seconds').textContent()), {
          timeout: 10_000,
        })
        .toBeGreaterThan(1);
      // The replicas are on the same page, above the panel.
      await expect
        .poll(() => admin.page.locator('table').first().locator('tbody tr').count(), {
          timeout: 10_000,
        })
        .toBe(3);
      await admin.page.screenshot({
        path: join(docsImages, 'operator-alerts.png'),
        fullPage: true,
      });

      await blocker.query('ROLLBACK');
      await expect.poll(lag, { timeout: 30_000 }).toBe('0');
      expect(await relayState()).toBe('ok');
    } finally {
      await blocker.end();
      await admin.context.close();
    }
  }, 180_000);
});
