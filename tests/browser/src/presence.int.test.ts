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

describe('who is online in the console header', () => {
  it('shows both users of a branch, counts a second tab once and drops a user who left', async () => {
    const manager = await openConsole(browser, cluster.baseUrl, 'Kampala Branch Manager');
    const staff = await openConsole(browser, cluster.baseUrl, 'Kampala Pharmacy Staff');
    try {
      const presence = manager.page.getByTestId('presence');
      const count = () => presence.getAttribute('data-count');
      await expect.poll(count, { timeout: 20_000 }).toBe('2');
      await presence.locator('summary').click();
      const list = presence.locator('.presence-list');
      await expect
        .poll(() => list.locator('li[data-user]').allTextContents(), { timeout: 10_000 })
        .toEqual([
          expect.stringMatching(/^Kampala Branch Manager \(you\) manager · since \d\d:\d\d$/),
          expect.stringMatching(/^Kampala Pharmacy Staff staff · since \d\d:\d\d$/),
        ]);
      await expect
        .poll(() => staff.page.getByTestId('presence').getAttribute('data-count'))
        .toBe('2');
      await manager.page.screenshot({
        path: join(docsImages, 'presence-header.png'),
        clip: { x: 0, y: 0, width: 1280, height: 260 },
      });

      // A second tab of the staff user (the plain-HTML example page on the same
      // device): still two people, and that page lists them too.
      const example = await staff.context.newPage();
      await example.goto('/examples/clients.html');
      await expect.poll(() => example.locator('#online-count').textContent()).toBe('2');
      expect(await example.locator('#online li[data-user]').count()).toBe(2);
      await expect
        .poll(() => list.locator('li[data-user="staff-kampala"]').textContent())
        .not.toContain('devices');
      expect(await count()).toBe('2');

      // The console tab goes; the example tab keeps the staff user online.
      await staff.page.close();
      await manager.page.waitForTimeout(1_500);
      expect(await count()).toBe('2');

      // The last tab goes: the staff user leaves the manager's list.
      await staff.context.close();
      await expect.poll(count, { timeout: 20_000 }).toBe('1');
      expect(await list.locator('li[data-user]').allTextContents()).toEqual([
        expect.stringMatching(/^Kampala Branch Manager \(you\)/),
      ]);
    } finally {
      await staff.context.close().catch(() => undefined);
      await manager.context.close();
    }
  }, 180_000);
});
