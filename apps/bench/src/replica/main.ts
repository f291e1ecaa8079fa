/**
 * `pnpm bench:replica`: what the device replica costs a branch, measured in
 * Debian's Chromium against a local cluster (the launcher) on this machine.
 *
 *   1. cold start: a new browser profile signs in to a branch of `--clients`
 *      clients and `--orders` orders and takes the snapshot (time, pages, bytes);
 *   2. warm start: reloads of the console (online and offline), from navigation
 *      to the first rendered row read from IndexedDB;
 *   3. catch-up: `--changes` changes made while the console is closed, then the
 *      time from opening it again until the device's stored offset reaches the
 *      head, and by which route (pages of /api/changes, or a new snapshot).
 *
 * Prints a table and writes `results/replica-latest.json`. Nothing is asserted:
 * it is a benchmark, not a test.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createDb, runMigrations, seedDatabase } from '@dynapharm/db';
import pg from 'pg';
import { type Browser, chromium, type Page } from 'playwright-core';
import { freePort, sleep, waitUntil } from '../infra/ports.ts';
import { startPostgres } from '../infra/postgres.ts';
import { startRedis } from '../infra/redis.ts';
import { formatTable } from '../report/table.ts';

const usage = `pnpm bench:replica [-- options]
  --clients N      clients of the measured branch (5000)
  --orders N       orders of the measured branch, two lines each (20000)
  --changes N      changes missed while offline, for the catch-up (10000)
  --warm-runs N    reloads per warm-start figure (5)
  --results DIR    where replica-latest.json goes (apps/bench/results)
Uses DATABASE_URL / REDIS_URL when set (a database of its own on that server),
else an embedded PostgreSQL and the local Redis; CHROMIUM_PATH (/usr/bin/chromium).`;

const repoRoot = fileURLToPath(new URL('../../../..', import.meta.url));
const launcherEntry = join(repoRoot, 'apps/launcher/dist/main.js');

const { values } = parseArgs({
  options: {
    clients: { type: 'string', default: '5000' },
    orders: { type: 'string', default: '20000' },
    changes: { type: 'string', default: '10000' },
    'warm-runs': { type: 'string', default: '5' },
    results: { type: 'string', default: fileURLToPath(new URL('../../results', import.meta.url)) },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  console.log(usage);
  process.exit(0);
}
const count = (name: keyof typeof values, min: number) => {
  const n = Number(values[name]);
  if (!Number.isInteger(n) || n < min) {
    console.error(`--${name} must be an integer ≥ ${min}\n\n${usage}`);
    process.exit(2);
  }
  return n;
};
const opts = {
  clients: count('clients', 1),
  orders: count('orders', 0),
  changes: count('changes', 1),
  warmRuns: count('warm-runs', 1),
  results: String(values.results),
};
if (opts.changes > opts.orders + opts.clients) {
  console.error('--changes may not exceed --clients + --orders (each row changes once)');
  process.exit(2);
}

const log = (line: string) => process.stderr.write(`[bench:replica] ${line}\n`);
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] ?? 0) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
};
const round = (n: number, digits = 0) => Number(n.toFixed(digits));

/** The measured branch (the seed's Kampala) and its manager, who signs in. */
const BRANCH_CODE = 'KLA-01';
const USER_NAME = 'Kampala Branch Manager';
const USER_ID = 'manager-kampala';

/** Adds the branch's bulk rows in one transaction (the triggers log each row, as writes would). */
async function addBranchRows(url: string): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const branch = (
      await client.query<{ id: string }>('SELECT id FROM branches WHERE code = $1', [BRANCH_CODE])
    ).rows[0]?.id;
    if (!branch) throw new Error(`the seed has no branch ${BRANCH_CODE}`);
    await client.query('BEGIN');
    await client.query(`SELECT set_config('dynapharm.actor', 'bench', true)`);
    await client.query(
      `INSERT INTO clients (id, branch_id, full_name, email, phone, address, notes)
       SELECT md5('bench-client-' || n)::uuid, $1, 'Bench client ' || n,
              'client' || n || '@bench.example', '+256 700 ' || lpad(n::text, 6, '0'),
              'Plot ' || n || ', Bench Road', 'Regular customer since ' || (2000 + n % 25)
         FROM generate_series(1, $2::int) AS n`,
      [branch, opts.clients],
    );
    const products = (
      await client.query<{ id: string }>('SELECT id FROM products ORDER BY sku LIMIT 2')
    ).rows.map((r) => r.id);
    if (products.length < 2) throw new Error('the seed has fewer than two products');
    await client.query(
      `INSERT INTO orders (id, branch_id, client_id, status, total_cents, notes)
       SELECT md5('bench-order-' || n)::uuid, $1, md5('bench-client-' || (1 + n % $3::int))::uuid,
              (ARRAY['pending', 'confirmed', 'fulfilled'])[1 + n % 3], 1250 * (1 + n % 40),
              'Delivery window ' || (8 + n % 10) || ':00'
         FROM generate_series(1, $2::int) AS n`,
      [branch, opts.orders, opts.clients],
    );
    await client.query(
      `INSERT INTO order_items (id, order_id, product_id, quantity, unit_price_cents)
       SELECT gen_random_uuid(), md5('bench-order-' || n)::uuid, p.id, 1 + n % 5, 625 * (1 + n % 40)
         FROM generate_series(1, $1::int) AS n CROSS JOIN unnest($2::uuid[]) AS p(id)`,
      [opts.orders, products],
    );
    await client.query('COMMIT');
    return branch;
  } finally {
    await client.end();
  }
}

/** Offset of the last published change, once everything committed so far is published. */
async function publishedHead(db: pg.Pool): Promise<number> {
  await waitUntil(
    'the relay to publish every change',
    async () =>
      (await db.query('SELECT 1 FROM sync_log WHERE published_at IS NULL LIMIT 1')).rowCount === 0,
    600_000,
  );
  const { rows } = await db.query<{ head: string }>('SELECT head FROM relay_state');
  return Number(rows[0]?.head ?? 0);
}

interface Launcher {
  baseUrl: string;
  stop(): Promise<void>;
}

async function startLauncher(databaseUrl: string, redisUrl: string): Promise<Launcher> {
  if (!existsSync(launcherEntry)) throw new Error(`${launcherEntry} is missing: build first`);
  const dataDir = await mkdtemp(join(tmpdir(), 'dynapharm-bench-replica-'));
  const frontDoor = await freePort();
  const env = {
    ...process.env,
    FRONT_DOOR_PORT: String(frontDoor),
    API_PORT: String(await freePort()),
    CONTROL_PORT: String(await freePort()),
    WEB_PORT: String(await freePort()),
    GATEWAY_BASE_PORT: String(await freePort()),
    GATEWAY_REPLICAS: '1',
    HAPROXY_STATS_PORT: '0',
    LAUNCHER_DATA_DIR: dataDir,
    DATABASE_URL: databaseUrl,
    REDIS_URL: redisUrl,
    REDIS_KEY_PREFIX: `bench-replica-${process.pid}`,
    CHILD_LOG_LEVEL: 'warn',
  };
  let output = '';
  const child: ChildProcess = spawn(process.execPath, [launcherEntry], {
    cwd: repoRoot,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (c) => {
    output += String(c);
  });
  child.stderr?.on('data', (c) => {
    output += String(c);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    await waitUntil(
      'the launcher to come up',
      async () => {
        if (child.exitCode !== null) throw new Error(`the launcher exited:\n${output}`);
        return output.includes('Dynapharm Realtime is up');
      },
      180_000,
    );
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  return {
    baseUrl: `http://127.0.0.1:${frontDoor}`,
    async stop() {
      child.kill('SIGINT');
      await Promise.race([exited, sleep(30_000)]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Fails a read of the page that takes longer than `ms` (a page that stops answering must not hang the run). */
function within<T>(what: string, ms: number, read: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took more than ${ms} ms`)), ms);
  });
  return Promise.race([read, timeout]).finally(() => clearTimeout(timer));
}

/** The replica's stored stream position (IndexedDB `meta`), read in the page. */
function storedOffset(page: Page): Promise<number | undefined> {
  return within('reading the stored offset', 10_000, readStoredOffset(page));
}

function readStoredOffset(page: Page): Promise<number | undefined> {
  return page.evaluate(async (name) => {
    if (!(await indexedDB.databases()).some((d) => d.name === name)) return undefined;
    return new Promise<number | undefined>((resolve, reject) => {
      const open = indexedDB.open(name);
      open.onerror = () => reject(open.error);
      open.onsuccess = () => {
        const idb = open.result;
        const get = idb.transaction('meta').objectStore('meta').get('state');
        get.onerror = () => reject(get.error);
        get.onsuccess = () => {
          idb.close();
          resolve((get.result as { position?: { offset: number } } | undefined)?.position?.offset);
        };
      };
    });
  }, `dynapharm-replica:${USER_ID}`);
}

/** Rows the replica holds, per resource. */
function storedRows(page: Page): Promise<Record<string, number>> {
  return page.evaluate(async (name) => {
    return new Promise<Record<string, number>>((resolve, reject) => {
      const open = indexedDB.open(name);
      open.onerror = () => reject(open.error);
      open.onsuccess = () => {
        const idb = open.result;
        const all = idb.transaction('rows').objectStore('rows').getAll();
        all.onerror = () => reject(all.error);
        all.onsuccess = () => {
          idb.close();
          const out: Record<string, number> = {};
          for (const r of all.result as { resource: string; deleted: number }[]) {
            if (r.deleted === 0) out[r.resource] = (out[r.resource] ?? 0) + 1;
          }
          resolve(out);
        };
      };
    });
  }, `dynapharm-replica:${USER_ID}`);
}

async function waitFor<T>(what: string, read: () => Promise<T>, done: (v: T) => boolean) {
  const deadline = Date.now() + 600_000;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/**
 * Set before any page script runs: records `performance.now()` (ms since the
 * navigation started) when the first list row appears.
 */
function recordFirstRow() {
  const w = window as unknown as { firstRowAt?: number };
  const seen = () => {
    if (w.firstRowAt === undefined && document.querySelector('tbody tr[data-id]')) {
      w.firstRowAt = performance.now();
    }
  };
  new MutationObserver(seen).observe(document, { childList: true, subtree: true });
}

interface WarmStart {
  /** Navigation start → first list row in the DOM. */
  firstRowMs: number;
  /** Navigation start → DOMContentLoaded (the app's code loaded and run). */
  domReadyMs: number;
}

async function firstRowAfterReload(page: Page): Promise<WarmStart> {
  await page.reload();
  const handle = await page.waitForFunction(
    () => (window as unknown as { firstRowAt?: number }).firstRowAt,
    undefined,
    { timeout: 60_000, polling: 20 },
  );
  const firstRowMs = Number(await handle.jsonValue());
  const domReadyMs = await page.evaluate(
    () =>
      (performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming | undefined)
        ?.domContentLoadedEventEnd ?? 0,
  );
  return { firstRowMs, domReadyMs };
}

async function main() {
  const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  if (!existsSync(chromiumPath)) {
    throw new Error(
      `no Chromium at ${chromiumPath}: apt-get install chromium, or set CHROMIUM_PATH`,
    );
  }
  const postgres = await startPostgres(process.env.DATABASE_URL);
  const redis = await startRedis(process.env.REDIS_URL);
  let launcher: Launcher | undefined;
  let browser: Browser | undefined;
  const db = new pg.Pool({ connectionString: postgres.url, max: 2 });
  db.on('error', () => {});
  try {
    log('migrating and seeding');
    await runMigrations(postgres.url);
    const handle = createDb(postgres.url, { max: 2, applicationName: 'bench-seed' });
    try {
      await seedDatabase(handle.db, { ordersPerBranch: 5, reportDays: 2 });
    } finally {
      await handle.close();
    }
    log(`adding ${opts.clients} clients and ${opts.orders} orders to ${BRANCH_CODE}`);
    const branchId = await addBranchRows(postgres.url);
    log('starting the launcher (API, relay, a gateway, the console)');
    launcher = await startLauncher(postgres.url, redis.url);
    await publishedHead(db);

    browser = await chromium.launch({
      executablePath: chromiumPath,
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
    const context = await browser.newContext({
      baseURL: launcher.baseUrl,
      viewport: { width: 1280, height: 800 },
    });
    context.setDefaultTimeout(120_000);
    await context.addInitScript(recordFirstRow);
    const page = await context.newPage();
    const traffic = { snapshotPages: 0, snapshotBytes: 0, changesPages: 0, changesBytes: 0 };
    /** Logs the page's errors and counts its snapshot and changes traffic. */
    const watchPage = (p: Page) => {
      p.on('console', (m) => {
        // Failed connections while the bench holds the page offline are expected.
        if (m.text().includes('ERR_INTERNET_DISCONNECTED')) return;
        if (m.type() === 'error' || m.type() === 'warning') log(`page ${m.type()}: ${m.text()}`);
      });
      p.on('response', (r) => {
        if (r.status() >= 400) log(`page: ${r.status()} from ${r.url()}`);
      });
      p.on('requestfinished', (req) => {
        const path = new URL(req.url()).pathname;
        if (path !== '/api/snapshot' && path !== '/api/changes') return;
        void req.sizes().then((s) => {
          const bytes = s.responseBodySize + s.responseHeadersSize;
          if (path === '/api/snapshot') {
            traffic.snapshotPages++;
            traffic.snapshotBytes += bytes;
          } else {
            traffic.changesPages++;
            traffic.changesBytes += bytes;
          }
        });
      });
    };
    watchPage(page);
    const resetTraffic = () => {
      for (const key of Object.keys(traffic) as (keyof typeof traffic)[]) traffic[key] = 0;
    };

    // 1. Cold start.
    log('cold start: sign in and take the snapshot');
    await page.goto('/');
    const head0 = await publishedHead(db);
    resetTraffic();
    const t0 = performance.now();
    await page.getByRole('button', { name: new RegExp(USER_NAME) }).click();
    await page.locator('tbody tr[data-id]').first().waitFor();
    const coldFirstRowMs = performance.now() - t0;
    await waitFor(
      'the snapshot',
      () => storedOffset(page),
      (o) => o !== undefined && o >= head0,
    );
    const coldCompleteMs = performance.now() - t0;
    const rows = await storedRows(page);
    const cold = {
      rows,
      branchRows: { clients: opts.clients, orders: opts.orders },
      firstRowMs: round(coldFirstRowMs),
      completeMs: round(coldCompleteMs),
      pages: traffic.snapshotPages,
      bytes: traffic.snapshotBytes,
    };
    log(`cold: ${cold.completeMs} ms, ${cold.pages} pages, ${cold.bytes} bytes`);
    await page.getByTestId('connection').and(page.locator('[data-state="live"]')).waitFor();

    // 2. Warm starts. The service worker must control the page for an offline
    // reload; it takes over on the next load.
    const warmOnline: WarmStart[] = [];
    const warmOffline: WarmStart[] = [];
    await firstRowAfterReload(page);
    await page
      .waitForFunction(() => navigator.serviceWorker.controller !== null, undefined, {
        timeout: 30_000,
      })
      .catch(() => {
        throw new Error('the service worker does not control the page: is apps/web built?');
      });
    for (let i = 0; i < opts.warmRuns; i++) warmOnline.push(await firstRowAfterReload(page));

    // 3. Catch-up: the device is away (the console closed) while the branch
    // makes `--changes` changes; then the console is opened again, online.
    await page.getByTestId('connection').and(page.locator('[data-state="live"]')).waitFor();
    await waitFor(
      'the device to be current',
      () => storedOffset(page),
      (o) => (o ?? 0) >= head0,
    );
    const before = (await storedOffset(page)) ?? 0;
    await page.close();
    log(`catch-up: ${opts.changes} changes while the console is closed`);
    const fromOrders = Math.min(opts.changes, opts.orders);
    const writer = await db.connect();
    try {
      await writer.query('BEGIN');
      await writer.query(`SELECT set_config('dynapharm.actor', 'bench', true)`);
      await writer.query(
        `UPDATE orders SET notes = 'Changed while away'
          WHERE id IN (SELECT id FROM orders WHERE branch_id = $1 ORDER BY id LIMIT $2)`,
        [branchId, fromOrders],
      );
      await writer.query(
        `UPDATE clients SET notes = 'Changed while away'
          WHERE id IN (SELECT id FROM clients WHERE branch_id = $1 ORDER BY id LIMIT $2)`,
        [branchId, opts.changes - fromOrders],
      );
      await writer.query('COMMIT');
    } finally {
      writer.release();
    }
    const head1 = await publishedHead(db);
    resetTraffic();
    const back = await context.newPage();
    watchPage(back);
    let firstRequestAt: number | undefined;
    back.on('request', (req) => {
      if (new URL(req.url()).pathname === '/api/changes') firstRequestAt ??= performance.now();
    });
    const t1 = performance.now();
    await back.goto('/');
    await waitFor(
      'the catch-up',
      () => storedOffset(back),
      (o) => o !== undefined && o >= head1,
    );
    const t2 = performance.now();

    // Offline warm starts come last: Chromium's offline emulation does not
    // reach the service worker again once the page was reloaded offline.
    await context.setOffline(true);
    for (let i = 0; i < opts.warmRuns; i++) warmOffline.push(await firstRowAfterReload(back));
    const firstRow = (runs: WarmStart[]) => round(median(runs.map((r) => r.firstRowMs)));
    const domReady = (runs: WarmStart[]) => round(median(runs.map((r) => r.domReadyMs)));
    log(`warm: online median ${firstRow(warmOnline)} ms, offline ${firstRow(warmOffline)} ms`);
    const catchUp = {
      missed: head1 - before,
      fromOpenMs: round(t2 - t1),
      fromFirstRequestMs: round(t2 - (firstRequestAt ?? t1)),
      changesPages: traffic.changesPages,
      changesBytes: traffic.changesBytes,
      snapshotPages: traffic.snapshotPages,
    };
    log(`catch-up: ${catchUp.fromFirstRequestMs} ms for ${catchUp.missed} changes`);

    const result = {
      kind: 'replica',
      at: new Date().toISOString(),
      machine: { cpus: cpus().length, loadavg: loadavg().map((n) => round(n, 2)) },
      options: opts,
      cold,
      warm: {
        online: warmOnline.map((r) => ({
          firstRowMs: round(r.firstRowMs),
          domReadyMs: round(r.domReadyMs),
        })),
        offline: warmOffline.map((r) => ({
          firstRowMs: round(r.firstRowMs),
          domReadyMs: round(r.domReadyMs),
        })),
        onlineMedianMs: firstRow(warmOnline),
        offlineMedianMs: firstRow(warmOffline),
        onlineDomReadyMedianMs: domReady(warmOnline),
        offlineDomReadyMedianMs: domReady(warmOffline),
      },
      catchUp,
    };
    await mkdir(opts.results, { recursive: true });
    const file = join(opts.results, 'replica-latest.json');
    await writeFile(file, `${JSON.stringify(result, null, 2)}\n`);
    console.log(
      formatTable(
        ['figure', 'value'],
        [
          [
            'cold snapshot: rows on the device',
            Object.entries(rows)
              .map(([k, v]) => `${k} ${v}`)
              .join(', '),
          ],
          ['cold snapshot: sign-in → first row (ms)', cold.firstRowMs],
          ['cold snapshot: sign-in → complete (ms)', cold.completeMs],
          ['cold snapshot: pages / bytes', `${cold.pages} / ${cold.bytes}`],
          ['warm start online: reload → first row, median (ms)', result.warm.onlineMedianMs],
          ['warm start offline: reload → first row, median (ms)', result.warm.offlineMedianMs],
          [
            'warm start: reload → DOMContentLoaded, median online / offline (ms)',
            `${result.warm.onlineDomReadyMedianMs} / ${result.warm.offlineDomReadyMedianMs}`,
          ],
          ['catch-up: missed changes', catchUp.missed],
          ['catch-up: first /api/changes → caught up (ms)', catchUp.fromFirstRequestMs],
          ['catch-up: console opened → caught up (ms)', catchUp.fromOpenMs],
          [
            'catch-up: changes pages / bytes / snapshot pages',
            `${catchUp.changesPages} / ${catchUp.changesBytes} / ${catchUp.snapshotPages}`,
          ],
        ],
      ),
    );
    console.log(`\nwrote ${file}`);
  } finally {
    await browser?.close().catch(() => undefined);
    await launcher?.stop().catch(() => undefined);
    await db.end().catch(() => undefined);
    await redis.close().catch(() => undefined);
    await postgres.close().catch(() => undefined);
  }
}

const watchdog = setTimeout(() => {
  console.error('bench:replica exceeded 20 minutes; giving up');
  process.exit(1);
}, 1_200_000);
watchdog.unref();
try {
  await main();
  process.exit(0);
} catch (err) {
  console.error('bench:replica failed:', err instanceof Error ? (err.stack ?? err.message) : err);
  process.exit(1);
}
