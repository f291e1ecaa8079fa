import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, openConsole } from './support/browser.ts';
import { buildCluster, type RunningCluster, repoRoot, startCluster } from './support/launcher.ts';

const docsImages = join(repoRoot, 'docs/images');

let cluster: RunningCluster;
let browser: Browser;

beforeAll(async () => {
  buildCluster();
  cluster = await startCluster();
  browser = await launchChromium();
  mkdirSync(docsImages, { recursive: true });
}, 400_000);

afterAll(async () => {
  await browser?.close();
  await cluster?.stop();
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
      body: JSON.stringify({ branchId: user.branches[0], fullName: `Lag probe ${i}` }),
    });
    expect(res.status).toBe(201);
  }
}

describe('device lag on the operator page', () => {
  it('shows a device falling behind while offline and clears when it has caught up', async () => {
    const staff = await openConsole(browser, cluster.baseUrl, 'Kampala Pharmacy Staff');
    const admin = await openConsole(browser, cluster.baseUrl, 'Head Office Admin');
    try {
      const deviceId = await staff.page.evaluate(() => localStorage.getItem('dynapharm.device'));
      expect(deviceId).toBeTruthy();
      await admin.goto('operator', 'Operator');
      const device = admin.page.locator(`tr[data-device="${deviceId}"]`).first();
      const behind = () => device.locator('td[data-label="Behind (changes)"]').textContent();
      await device.waitFor({ timeout: 30_000 });
      await expect.poll(behind, { timeout: 30_000 }).toBe('0');

      await staff.context.setOffline(true);
      await writeClients('manager-kampala', 4);
      await expect.poll(behind, { timeout: 30_000 }).toBe('4');
      await admin.page.screenshot({ path: join(docsImages, 'operator-device-lag.png') });

      await staff.context.setOffline(false);
      await expect.poll(behind, { timeout: 60_000 }).toBe('0');
    } finally {
      await staff.context.close();
      await admin.context.close();
    }
  }, 180_000);
});
