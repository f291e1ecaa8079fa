import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiRecord, apiAs } from './support/api.ts';
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

/** A PATCH through the front door as a demo user (the way another device would write). */
async function patchAs(userId: string, resource: string, record: ApiRecord, body: object) {
  const login = await fetch(`${cluster.baseUrl}/api/auth/dev-login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ userId }),
  });
  const { token } = (await login.json()) as { token: string };
  const res = await fetch(`${cluster.baseUrl}/api/${resource}/${record.id}`, {
    method: 'PATCH',
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      'if-match': `"${record.version}"`,
      'idempotency-key': `history-browser-${Date.now()}`,
    },
    body: JSON.stringify(body),
  });
  expect(res.status).toBe(200);
}

const row = (page: Page, text: string) => page.locator('tbody tr[data-id]', { hasText: text });

describe('record history in the console', () => {
  it('shows who changed what in the History panel of a record edited twice', async () => {
    const manager = await openConsole(browser, cluster.baseUrl, 'Kampala Branch Manager');
    const { page } = manager;
    const name = `History probe ${Date.now() % 1_000_000}`;

    // Created and edited once in this console, by the manager…
    await page.getByRole('button', { name: 'New client' }).click();
    await page.getByLabel('Full name').fill(name);
    await page.getByLabel('Phone').fill('+256 700 100100');
    await page.getByRole('button', { name: 'Create' }).click();
    await page.locator('dialog[open]').waitFor({ state: 'detached' });
    await row(page, name).first().and(page.locator('[data-version="1"]')).waitFor();
    await row(page, name).first().getByRole('button', { name: 'Edit' }).click();
    await page.getByLabel('Phone').fill('+256 700 200200');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.locator('dialog[open]').waitFor({ state: 'detached' });
    await row(page, name).first().and(page.locator('[data-version="2"]')).waitFor();

    // …and once from another device, by the branch's staff member.
    const api = await apiAs(cluster.baseUrl, 'manager-kampala');
    const id = await row(page, name).first().getAttribute('data-id');
    if (!id) throw new Error('the row has an id');
    await patchAs('staff-kampala', 'clients', await api.get('clients', id), {
      notes: 'Collects on Fridays',
    });
    await row(page, name).first().and(page.locator('[data-version="3"]')).waitFor();

    await row(page, name).first().getByRole('button', { name: 'History' }).click();
    const panel = page.locator('dialog[open]');
    await panel.getByRole('heading', { name: `History of client ${name}` }).waitFor();
    const entries = panel.locator('li.history-entry');
    await entries.first().waitFor();
    expect(
      await entries.evaluateAll((li) => li.map((e) => e.getAttribute('data-version'))),
    ).toEqual(['3', '2', '1']);

    const newest = entries.nth(0);
    await expect
      .poll(() => newest.locator('.history-meta').textContent())
      .toMatch(/^Updated · version 3 by Kampala Pharmacy Staff \(staff-kampala\) at /);
    expect(await newest.locator('.history-origin').textContent()).toMatch(/history-browser-/);
    expect(await newest.locator('tr[data-field="notes"]').textContent()).toBe(
      'Notes—→ Collects on Fridays',
    );

    const edit = entries.nth(1);
    expect(await edit.locator('.history-meta').textContent()).toMatch(
      /^Updated · version 2 by Kampala Branch Manager \(manager-kampala\) at /,
    );
    expect(await edit.locator('tbody tr').count()).toBe(1);
    expect(await edit.locator('tr[data-field="phone"]').textContent()).toBe(
      'Phone+256 700 100100→ +256 700 200200',
    );

    const created = entries.nth(2);
    expect(await created.locator('.history-meta').textContent()).toMatch(
      /^Created · version 1 by Kampala Branch Manager/,
    );
    expect(await created.locator('tr[data-field="fullName"]').textContent()).toBe(
      `Full name—→ ${name}`,
    );
    // A branch id reads as the branch's name.
    expect(await created.locator('tr[data-field="branchId"]').textContent()).toBe(
      'Branch—→ Dynapharm Kampala',
    );

    await page.screenshot({ path: join(docsImages, 'record-history.png') });
    await manager.context.close();
  });
});
