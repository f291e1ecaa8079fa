import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { repoRoot } from './launcher.ts';

/** Screenshots for people to look at (gitignored). */
export const artifactsDir = join(repoRoot, 'tests/browser/artifacts');

/** Where Chromium is; fails with how to get it, before anything else starts. */
export function chromiumPath(): string {
  const path = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  if (!existsSync(path)) {
    throw new Error(
      `no Chromium at ${path}: install Debian's (apt-get install -y chromium) or set CHROMIUM_PATH`,
    );
  }
  return path;
}

/**
 * Debian's Chromium (`apt-get install chromium`), never a downloaded browser;
 * `CHROMIUM_PATH` points elsewhere.
 */
export function launchChromium(): Promise<Browser> {
  mkdirSync(artifactsDir, { recursive: true });
  return chromium.launch({
    executablePath: chromiumPath(),
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

export const screenshot = (page: Page, name: string) =>
  page.screenshot({ path: join(artifactsDir, `${name}.png`) });

/** A signed-in browser context with the console open. */
export interface ConsoleTab {
  context: BrowserContext;
  page: Page;
  /** The gateway replica the page's realtime connection landed on. */
  replica(): Promise<string>;
  /** Goes to a hash route (`clients`, `orders`, `queue`, …) and waits for its heading. */
  goto(route: string, heading: string | RegExp): Promise<void>;
  /** Resolves once the service worker controls the page (so a reload works offline). */
  offlineReady(): Promise<void>;
}

/** Errors a page logs go to the test output: a crash there explains a timeout here. */
function logPageErrors(page: Page, label: string) {
  page.on('pageerror', (err) => console.error(`[${label}] page error: ${err.message}`));
}

/**
 * Opens a new browser context (its own cookies, so its own sticky gateway),
 * signs in through the dev login as `userName` and waits until the console is live.
 */
export async function openConsole(
  browser: Browser,
  baseUrl: string,
  userName: string,
): Promise<ConsoleTab> {
  const context = await browser.newContext({
    baseURL: baseUrl,
    viewport: { width: 1280, height: 800 },
  });
  context.setDefaultTimeout(15_000);
  const page = await context.newPage();
  logPageErrors(page, userName);
  await page.goto('/');
  await page.getByRole('button', { name: new RegExp(userName) }).click();
  await page.getByRole('heading', { name: 'Clients' }).waitFor();
  await page.locator('table tbody tr[data-id]').first().waitFor();
  const connection = page.getByTestId('connection');
  await connection.and(page.locator('[data-state="live"]')).waitFor();
  return {
    context,
    page,
    async replica() {
      await connection.and(page.locator('[data-state="live"]')).waitFor();
      return (await connection.getAttribute('data-replica')) ?? '';
    },
    async goto(route, heading) {
      await page.evaluate((r) => {
        location.hash = `#/${r}`;
      }, route);
      await page.getByRole('heading', { name: heading, level: 1 }).waitFor();
    },
    offlineReady: () => controlledByServiceWorker(page),
  };
}

/**
 * Resolves once the service worker controls `page`, so a reload works offline.
 * A page whose load raced the worker's activation stays uncontrolled; its next load is not.
 */
export async function controlledByServiceWorker(page: Page): Promise<void> {
  await page.evaluate(() => navigator.serviceWorker.ready.then(() => undefined));
  if (await page.evaluate(() => navigator.serviceWorker.controller === null)) {
    await page.reload();
  }
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
}
