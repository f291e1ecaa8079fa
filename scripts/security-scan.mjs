#!/usr/bin/env node
// Outside scanners against a local cluster this script starts itself and only
// ever against its loopback front door: sqlmap on the API's query parameters,
// wapiti on the console and the API. Every finding must be triaged in
// infra/security/scan-allowlist.json (scanner, type, path, parameter or detail,
// and a reason), else the script exits 1. Exit 2 means a scanner could not do
// its job (missing, timed out, refused), which is not a pass either.
//
//   node scripts/security-scan.mjs [--no-build] [--front-door haproxy|node] [--keep-reports DIR]
//
// Needs the Debian packages sqlmap and wapiti (.ci/run installs them).
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const allowListPath = join(root, 'infra/security/scan-allowlist.json');

const SQLMAP_BUDGET_S = 240;
const WAPITI_SCAN_S = 120;
const WAPITI_ATTACK_S = 20;
const WAPITI_BUDGET_S = 300;

const argv = process.argv.slice(2);
const flag = (name) => argv.includes(name);
const option = (name) => {
  const i = argv.indexOf(name);
  return i === -1 ? undefined : argv[i + 1];
};

const started = Date.now();
const log = (msg) =>
  console.log(`[security-scan +${Math.round((Date.now() - started) / 1000)}s] ${msg}`);

class ScanError extends Error {}

function requireTool(cmd, pkg) {
  const probe = spawnSync(cmd, ['--version'], { encoding: 'utf8' });
  if (probe.error) throw new ScanError(`${cmd} is not installed (apt-get install ${pkg})`);
}

function build() {
  log('building the launcher and the web console (turbo; a cache hit after npm test)');
  const res = spawnSync(
    join(root, 'node_modules/.bin/turbo'),
    [
      'run',
      'build',
      '--filter=@dynapharm/launcher...',
      '--filter=@dynapharm/web',
      '--output-logs=errors-only',
    ],
    { cwd: root, stdio: 'inherit', env: { TURBO_TELEMETRY_DISABLED: '1', ...process.env } },
  );
  if (res.status !== 0) throw new ScanError('the build failed');
}

function portFree(port) {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** `count` consecutive free loopback ports (the gateways need a range of 20). */
async function freeRange(count) {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 40_000);
    let ok = true;
    for (let p = base; p < base + count && ok; p++) ok = await portFree(p);
    if (ok) return base;
  }
  throw new ScanError(`no ${count} consecutive free ports found`);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function startCluster(dataDir) {
  const gatewayBase = await freeRange(20);
  const [frontDoor, api, control, web] = [
    gatewayBase + 20,
    gatewayBase + 21,
    gatewayBase + 22,
    gatewayBase + 23,
  ];
  for (const p of [frontDoor, api, control, web]) {
    if (!(await portFree(p))) throw new ScanError(`port ${p} is taken; run again`);
  }
  const env = {
    ...process.env,
    FRONT_DOOR_PORT: String(frontDoor),
    FRONT_DOOR_HOST: '127.0.0.1',
    API_PORT: String(api),
    CONTROL_PORT: String(control),
    WEB_PORT: String(web),
    GATEWAY_BASE_PORT: String(gatewayBase),
    GATEWAY_REPLICAS: '2',
    HAPROXY_STATS_PORT: '0',
    LAUNCHER_DATA_DIR: dataDir,
    REDIS_KEY_PREFIX: `dynapharm-security-scan-${process.pid}`,
    CHILD_LOG_LEVEL: 'warn',
  };
  for (const name of ['DATABASE_URL', 'FRONT_DOOR']) delete env[name];
  const frontDoorKind = option('--front-door');
  if (frontDoorKind) env.FRONT_DOOR = frontDoorKind;
  const child = spawn(process.execPath, [join(root, 'apps/launcher/dist/main.js')], {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (c) => {
    output += String(c);
  });
  child.stderr.on('data', (c) => {
    output += String(c);
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const running = () => child.exitCode === null && child.signalCode === null;
  const stop = async () => {
    if (running()) {
      child.kill('SIGINT');
      await Promise.race([exited, sleep(30_000)]);
    }
    if (running()) child.kill('SIGKILL');
  };
  const deadline = Date.now() + 120_000;
  while (!output.includes('Dynapharm Realtime is up')) {
    if (!running() || Date.now() > deadline) {
      await stop();
      throw new ScanError(`the local cluster did not come up:\n${output}`);
    }
    await sleep(250);
  }
  const kind = /front door :\d+ — ([^\n]+)/.exec(output)?.[1] ?? 'unknown';
  log(`local cluster up: front door http://127.0.0.1:${frontDoor} (${kind})`);
  return { base: `http://127.0.0.1:${frontDoor}`, stop, output: () => output };
}

async function getJson(url, init) {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(10_000) });
  if (!res.ok)
    throw new ScanError(`${init?.method ?? 'GET'} ${url}: ${res.status} ${await res.text()}`);
  return res.json();
}

/** A token and real ids, so the scanners' requests pass validation and reach the handlers. */
async function fixtures(base) {
  const { token } = await getJson(`${base}/api/auth/dev-login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ userId: 'admin' }),
  });
  const headers = { authorization: `Bearer ${token}` };
  const branches = await getJson(`${base}/api/branches?limit=1`, { headers });
  const clients = await getJson(`${base}/api/clients?limit=2`, { headers });
  const changes = await getJson(`${base}/api/changes?after=0&limit=1`, { headers });
  return {
    token,
    branchId: branches.items[0].id,
    clientId: clients.items[0].id,
    cursor: clients.nextCursor,
    epoch: changes.epoch,
  };
}

/** Runs a scanner with a hard time bound; its output goes to `logFile`. */
function runBounded(cmd, args, budgetS, logFile) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let out = '';
    child.stdout.on('data', (c) => {
      out += String(c);
    });
    child.stderr.on('data', (c) => {
      out += String(c);
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      // sqlmap and wapiti fork helpers; the whole process group goes.
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    }, budgetS * 1000);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      writeFileSync(logFile, out);
      resolve({ code, out, timedOut });
    });
  });
}

function parseCsvLine(line) {
  const cells = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      cells.push(cell);
      cell = '';
    } else cell += c;
  }
  cells.push(cell);
  return cells;
}

const pathOf = (url) => {
  try {
    return new URL(url).pathname;
  } catch {
    return url;
  }
};

async function runSqlmap(base, fx, dir) {
  const q = (path, params) => `${base}${path}?${new URLSearchParams(params)}`;
  const listParams = {
    branchId: fx.branchId,
    status: 'active',
    updated_since: '2020-01-01T00:00:00Z',
    cursor: fx.cursor,
    limit: '5',
  };
  const targets = [
    q('/api/clients', listParams),
    q('/api/orders', { ...listParams, status: 'pending', from: '2020-01-01', to: '2100-01-01' }),
    q('/api/stock', { branchId: fx.branchId, include_deleted: 'true', limit: '5' }),
    q('/api/changes', { after: '0', resources: 'clients,orders', epoch: fx.epoch, limit: '5' }),
    // `*` marks the path segment as an injection point.
    `${base}/api/clients/${fx.clientId}*`,
  ];
  const targetFile = join(dir, 'sqlmap-targets.txt');
  writeFileSync(targetFile, `${targets.join('\n')}\n`);
  const results = join(dir, 'sqlmap-results.csv');
  const args = [
    '-m',
    targetFile,
    '-H',
    `Authorization: Bearer ${fx.token}`,
    '--batch',
    '--level',
    '2',
    '--risk',
    '1',
    '--dbms',
    'PostgreSQL',
    '--time-sec',
    '2',
    '--timeout',
    '10',
    '--retries',
    '1',
    '--output-dir',
    join(dir, 'sqlmap'),
    '--results-file',
    results,
    '--flush-session',
    '--disable-coloring',
    // The API's 400s for malformed values look like a WAF to sqlmap's heuristic.
    '--skip-waf',
  ];
  log(`sqlmap: ${targets.length} targets, level 2, risk 1, bound ${SQLMAP_BUDGET_S}s`);
  const t0 = Date.now();
  const run = await runBounded('sqlmap', args, SQLMAP_BUDGET_S, join(dir, 'sqlmap.log'));
  const took = Math.round((Date.now() - t0) / 1000);
  log(`sqlmap finished in ${took}s (exit ${run.code})`);
  const problems = [];
  if (run.timedOut) problems.push(`sqlmap ran over its ${SQLMAP_BUDGET_S}s bound`);
  for (const line of run.out.split('\n')) {
    if (line.includes('[CRITICAL]')) problems.push(`sqlmap: ${line.trim()}`);
  }
  // A refused token would make every request a 401 and every parameter "not injectable".
  if (/\b401 \(Unauthorized\)/.test(run.out))
    problems.push('sqlmap got 401s: the token was refused');
  const tested = (run.out.match(/testing URL/g) ?? []).length;
  if (tested < targets.length) {
    problems.push(`sqlmap tested ${tested} of ${targets.length} targets`);
  }
  let rows = [];
  try {
    rows = readFileSync(results, 'utf8').trim().split('\n').slice(1).filter(Boolean);
  } catch {
    if (!run.timedOut) problems.push('sqlmap wrote no results file');
  }
  const findings = rows.map((line) => {
    const [url = '', place = '', parameter = '', techniques = '', notes = ''] = parseCsvLine(line);
    return {
      scanner: 'sqlmap',
      type: `SQL injection (${techniques || 'unknown technique'})`,
      path: pathOf(url),
      parameter: `${place} ${parameter}`.trim(),
      detail: notes,
    };
  });
  return { findings, problems, took };
}

async function runWapiti(base, fx, dir) {
  const configDir = join(dir, 'wapiti-config');
  mkdirSync(configDir, { recursive: true });
  // These modules download their databases from the internet when these files
  // are missing; they are not used here, and nothing may leave the machine.
  writeFileSync(join(configDir, 'apps.json'), '{}');
  writeFileSync(join(configDir, 'nikto_db'), '');
  const report = join(dir, 'wapiti.json');
  const starts = [
    '/launcher/',
    '/api/openapi.json',
    '/api/health',
    `/api/clients?branchId=${fx.branchId}&status=active&limit=5`,
    `/api/orders?branchId=${fx.branchId}&status=pending&limit=5`,
    `/api/changes?after=0&resources=clients&epoch=${fx.epoch}&limit=5`,
    `/api/clients/${fx.clientId}`,
    '/ws-stats',
    '/metrics',
  ];
  // ssrf and xxe need an endpoint on the internet; nikto, buster, backup and
  // brute_login_form are wordlist brute force that would not fit the time bound.
  const modules = [
    'blindsql',
    'cookieflags',
    'crlf',
    'csp',
    'exec',
    'file',
    'http_headers',
    'methods',
    'permanentxss',
    'redirect',
    'sql',
    'xss',
  ];
  const args = [
    '-u',
    `${base}/`,
    '--scope',
    'folder',
    '-m',
    modules.join(','),
    ...starts.flatMap((s) => ['-s', `${base}${s}`]),
    '-H',
    `Authorization: Bearer ${fx.token}`,
    '-d',
    '3',
    '--max-scan-time',
    String(WAPITI_SCAN_S),
    '--max-attack-time',
    String(WAPITI_ATTACK_S),
    '-t',
    '10',
    '--flush-session',
    '--store-session',
    join(dir, 'wapiti-session'),
    '--store-config',
    configDir,
    '--no-bugreport',
    '-f',
    'json',
    '-o',
    report,
    '-v',
    '1',
  ];
  log(
    `wapiti: ${base}/ and ${starts.length} start URLs, ${modules.length} modules, scan bound ${WAPITI_SCAN_S}s`,
  );
  const t0 = Date.now();
  const run = await runBounded('wapiti', args, WAPITI_BUDGET_S, join(dir, 'wapiti.log'));
  const took = Math.round((Date.now() - t0) / 1000);
  log(`wapiti finished in ${took}s (exit ${run.code})`);
  const problems = [];
  if (run.timedOut) problems.push(`wapiti ran over its ${WAPITI_BUDGET_S}s bound`);
  else if (run.code !== 0) problems.push(`wapiti exited with ${run.code}`);
  let parsed;
  try {
    parsed = JSON.parse(readFileSync(report, 'utf8'));
  } catch {
    problems.push('wapiti wrote no JSON report');
    return { findings: [], problems, took };
  }
  const findings = [];
  // Anomalies are 500s and timeouts the attacks provoked: bugs until triaged.
  for (const kind of ['vulnerabilities', 'anomalies']) {
    for (const [type, list] of Object.entries(parsed[kind] ?? {})) {
      for (const f of list) {
        findings.push({
          scanner: 'wapiti',
          type,
          path: f.path ?? '',
          parameter: f.parameter ?? '',
          detail: f.info ?? '',
          request: f.http_request,
        });
      }
    }
  }
  return { findings, problems, took };
}

/**
 * An allow-list entry matches on scanner and type (exact), path (exact, or a
 * prefix when it ends in `*`), and, when given, parameter and detail (exact).
 */
function matches(entry, f) {
  if (entry.scanner !== f.scanner || entry.type !== f.type) return false;
  const pathOk = entry.path.endsWith('*')
    ? f.path.startsWith(entry.path.slice(0, -1))
    : entry.path === f.path;
  if (!pathOk) return false;
  if (entry.parameter !== undefined && entry.parameter !== f.parameter) return false;
  if (entry.detail !== undefined && entry.detail !== f.detail) return false;
  return true;
}

function loadAllowList() {
  const list = JSON.parse(readFileSync(allowListPath, 'utf8'));
  if (!Array.isArray(list.entries))
    throw new ScanError(`${allowListPath}: "entries" must be a list`);
  for (const [i, e] of list.entries.entries()) {
    for (const key of ['scanner', 'type', 'path', 'reason']) {
      if (typeof e[key] !== 'string' || e[key].trim() === '') {
        throw new ScanError(`${allowListPath}: entry ${i} needs a non-empty "${key}"`);
      }
    }
  }
  return list.entries;
}

const describe = (f) =>
  `${f.scanner} | ${f.type} | ${f.path}${f.parameter ? ` [${f.parameter}]` : ''}${f.detail ? ` — ${f.detail}` : ''}`;

async function main() {
  requireTool('sqlmap', 'sqlmap');
  requireTool('wapiti', 'wapiti');
  const allow = loadAllowList();
  if (!flag('--no-build')) build();
  const keep = option('--keep-reports');
  const dir = keep ?? mkdtempSync(join(tmpdir(), 'security-scan-'));
  mkdirSync(dir, { recursive: true });
  const dataDir = mkdtempSync(join(tmpdir(), 'security-scan-cluster-'));
  let cluster;
  try {
    cluster = await startCluster(dataDir);
    const fx = await fixtures(cluster.base);
    const sql = await runSqlmap(cluster.base, fx, dir);
    const web = await runWapiti(cluster.base, fx, dir);
    const findings = [...sql.findings, ...web.findings];
    const problems = [...sql.problems, ...web.problems];

    const used = new Set();
    const untriaged = [];
    console.log('\nFindings:');
    if (findings.length === 0) console.log('  (none)');
    for (const f of findings) {
      const entry = allow.find((e) => matches(e, f));
      if (entry) {
        used.add(entry);
        console.log(`  allowed    ${describe(f)}\n             reason: ${entry.reason}`);
      } else {
        untriaged.push(f);
        console.log(`  UNTRIAGED  ${describe(f)}`);
        if (f.request) console.log(`             ${f.request.split('\n')[0]}`);
      }
    }
    const stale = allow.filter((e) => !used.has(e));
    for (const e of stale) {
      console.log(`  (allow-list entry not seen this run: ${e.scanner} | ${e.type} | ${e.path})`);
    }
    for (const p of problems) console.log(`  SCANNER PROBLEM  ${p}`);
    console.log(
      `\nsecurity scan: sqlmap ${sql.took}s, wapiti ${web.took}s; ${findings.length} findings, ` +
        `${findings.length - untriaged.length} allowed, ${untriaged.length} untriaged, ` +
        `${problems.length} scanner problems (reports in ${dir})`,
    );
    if (untriaged.length > 0) {
      console.log(`Fix them, or triage them in ${allowListPath} with a reason each.`);
      return 1;
    }
    return problems.length > 0 ? 2 : 0;
  } finally {
    if (cluster) await cluster.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(`security scan failed: ${err instanceof ScanError ? err.message : err.stack}`);
    process.exit(2);
  },
);
