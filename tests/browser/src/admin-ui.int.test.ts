import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from './support/browser.ts';
import { buildCluster, type RunningCluster, repoRoot, startCluster } from './support/launcher.ts';

const docsImages = join(repoRoot, 'docs/images');

// Published (the gateway suites use it too), so a production gateway refuses its hash.
const password = 'admin-ui-suite-password-0123456789';
const passwordHash = '$2b$04$4ZeNy1MSaqRMdi1WUE4RyeWseUIBhmQiAfgpBfgV12g6zbB5X9H1G';

let cluster: RunningCluster;
let browser: Browser;

beforeAll(async () => {
  buildCluster();
  cluster = await startCluster({
    ADMIN_UI_ENABLED: 'true',
    ADMIN_UI_USERNAME: 'operator',
    ADMIN_UI_PASSWORD_HASH: passwordHash,
    ADMIN_UI_READONLY: 'true',
  });
  browser = await launchChromium();
  mkdirSync(docsImages, { recursive: true });
}, 400_000);

afterAll(async () => {
  await browser?.close();
  await cluster?.stop();
}, 60_000);

describe('Socket.IO Admin UI behind the front door', () => {
  it('signs in and lists every gateway replica, with only outside styles blocked by the CSP', async () => {
    const context = await browser.newContext({ baseURL: cluster.baseUrl });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(m.text());
    });
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    try {
      await page.goto('/admin-ui/');
      await page.getByLabel('Server URL').fill(cluster.baseUrl);
      await page.getByLabel('Username').fill('operator');
      await page.getByLabel('Password').fill('not-the-password');
      await page.getByText('Advanced options').click();
      await page.getByLabel('Path').fill('/ws');
      await page.getByRole('button', { name: 'Connect' }).click();
      await page.getByText('invalid credentials').waitFor({ timeout: 10_000 });

      await page.getByLabel('Password').fill(password);
      await page.getByRole('button', { name: 'Connect' }).click();
      await page
        .getByText(/^connected$/i)
        .first()
        .waitFor({ timeout: 15_000 });
      await page.locator('.v-navigation-drawer').getByText('Servers').click();
      const ids = () => page.locator('tbody tr td:first-child').allInnerTexts();
      await expect
        .poll(async () => (await ids()).sort(), { timeout: 15_000 })
        .toEqual(['gw-1', 'gw-2', 'gw-3']);
      await page.screenshot({ path: join(docsImages, 'admin-ui.png') });

      // Scripts all come from the gateway; only the UI's links to Google Fonts
      // and jsDelivr and its inline theme styles are refused by the policy.
      const unexpected = problems.filter(
        (p) =>
          !/Loading the stylesheet 'https:\/\/(fonts\.googleapis\.com|cdn\.jsdelivr\.net)\//.test(
            p,
          ) &&
          !p.startsWith('Applying inline style violates') &&
          !p.includes('invalid credentials'),
      );
      expect(unexpected).toEqual([]);
    } finally {
      await context.close();
    }
  }, 120_000);
});
