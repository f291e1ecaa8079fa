#!/usr/bin/env node
// Entry point of the two README commands (`npm start`, `npm test`). It runs on a
// fresh clone with only Node and npm: it gets the pinned pnpm, installs the
// workspace from the lockfile when needed, checks the system packages the
// command uses (installing them as root on Debian), then hands over to turbo.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  accessSync,
  constants,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// turbo prints a telemetry notice on a new machine; the project's commands opt out.
process.env.TURBO_TELEMETRY_DISABLED ??= '1';
const rootPkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const pnpmVersion = rootPkg.packageManager.split('@')[1];

function run(cmd, args, opts = {}) {
  const res = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', ...opts });
  if (res.error) throw res.error;
  return res.status ?? 1;
}

function pnpmCommand() {
  const probe = spawnSync('pnpm', ['--version'], { encoding: 'utf8' });
  if (probe.status === 0 && probe.stdout.trim() === pnpmVersion) return ['pnpm', []];
  // npx fetches the exact pinned version once and caches it.
  return ['npx', ['--yes', `pnpm@${pnpmVersion}`]];
}

const [pnpmBin, pnpmPrefix] = pnpmCommand();
const pnpm = (args, opts) => run(pnpmBin, [...pnpmPrefix, ...args], opts);

function ensureInstalled() {
  const lock = readFileSync(join(root, 'pnpm-lock.yaml'));
  const hash = createHash('sha256').update(lock).digest('hex');
  const marker = join(root, 'node_modules', '.dynapharm-install');
  if (existsSync(marker) && readFileSync(marker, 'utf8') === hash) return;
  console.log(`> installing dependencies with pnpm ${pnpmVersion}`);
  const code = pnpm(['install', '--frozen-lockfile', '--prefer-offline']);
  if (code !== 0) process.exit(code);
  mkdirSync(dirname(marker), { recursive: true });
  writeFileSync(marker, hash);
}

function onPath(name) {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    try {
      accessSync(join(dir, name), constants.X_OK);
      return true;
    } catch {
      // not in this one
    }
  }
  return false;
}

/**
 * Debian packages each command uses, with how to tell one is there. The
 * README's Requirements section lists the same (keep them in step).
 */
const systemPackages = {
  chromium: {
    why: 'the browser tests',
    // Where tests/browser looks for it.
    present: () => existsSync(process.env.CHROMIUM_PATH || '/usr/bin/chromium'),
  },
  haproxy: {
    why: 'the front door (without it a Node proxy stands in)',
    present: () => onPath('haproxy'),
  },
  'redis-server': {
    why: 'Redis, unless REDIS_URL names one (for npm start)',
    present: (command) =>
      onPath('redis-server') || (command === 'start' && Boolean(process.env.REDIS_URL)),
  },
  procps: { why: '`ps`, used by the fault tests', present: () => onPath('ps') },
  iproute2: {
    why: '`ip`, which builds the simulated hosts (network namespaces) of tests/hosts',
    present: () => onPath('ip') || existsSync('/usr/sbin/ip') || existsSync('/sbin/ip'),
  },
  prometheus: {
    why: 'the alert tests of the API and the operator page; `promtool` checks and unit-tests the Prometheus rules (tests/monitoring)',
    // Where @dynapharm/testkit's startPrometheus looks for it.
    present: () =>
      existsSync(process.env.PROMETHEUS_BIN || '/usr/bin/prometheus') && onPath('promtool'),
  },
  'prometheus-alertmanager': {
    why: '`amtool`, which checks the Alertmanager configuration (tests/monitoring)',
    present: () => onPath('amtool'),
  },
  'postgresql-15': {
    why: 'PostgreSQL 15 run as a local process by the backup and restore tests (tests/backup)',
    // Where tests/backup's lab looks for it.
    present: () =>
      existsSync(join(process.env.PG_BINDIR || '/usr/lib/postgresql/15/bin', 'postgres')),
  },
  pgbackrest: {
    why: 'WAL archiving, backups and point-in-time restores in the backup tests (tests/backup)',
    present: () => onPath('pgbackrest'),
  },
  pgbouncer: {
    why: 'PgBouncer in front of PostgreSQL in the PgBouncer tests (apps/api, apps/launcher)',
    // Where @dynapharm/testkit's startPgBouncer looks for it.
    present: () => existsSync(process.env.PGBOUNCER_BIN || '/usr/sbin/pgbouncer'),
  },
  'kubernetes-client': {
    why: '`kubectl kustomize`, which builds the manifests of infra/k8s for their checks (tests/k8s)',
    // Any kubectl will do (tests/k8s runs KUBECTL, else `kubectl` from PATH).
    present: () => Boolean(process.env.KUBECTL) || onPath('kubectl'),
  },
};
const packagesFor = {
  start: ['haproxy', 'redis-server'],
  test: [
    'chromium',
    'haproxy',
    'redis-server',
    'procps',
    'iproute2',
    'prometheus',
    'prometheus-alertmanager',
    'postgresql-15',
    'pgbackrest',
    'pgbouncer',
    'kubernetes-client',
  ],
};

/** Installs what `command` needs and is missing: as root on Debian itself, else it says how. */
function ensureSystemPackages(command) {
  const missing = packagesFor[command].filter((name) => !systemPackages[name].present(command));
  if (missing.length === 0) return;
  const installLine = `apt-get install -y --no-install-recommends ${missing.join(' ')}`;
  console.log(`> missing system packages: ${missing.join(', ')}`);
  for (const name of missing) console.log(`    ${name}: ${systemPackages[name].why}`);
  const debian = existsSync('/etc/debian_version') && onPath('apt-get');
  if (!debian) {
    console.log(`  install them with your system's package manager (on Debian: ${installLine})`);
    return;
  }
  if (process.getuid?.() !== 0) {
    console.log(`  install them with: sudo ${installLine}`);
    console.log('  (continuing without them)');
    return;
  }
  console.log(`> running as root on Debian: apt-get update && ${installLine}`);
  const aptEnv = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const updated = run('apt-get', ['update', '-qq'], { env: aptEnv });
  const installed =
    updated === 0
      ? run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], {
          env: aptEnv,
        })
      : updated;
  const still = missing.filter((name) => !systemPackages[name].present(command));
  if (installed !== 0 || still.length > 0) {
    console.log(
      `! could not install ${still.join(', ') || missing.join(', ')} (apt-get exited with ${installed});`,
    );
    console.log('  continuing without them');
  }
}

/** Sums the JSON reports vitest wrote into every package's `.vitest/` folder. */
function summarize(kinds) {
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  for (const group of ['apps', 'packages', 'tests']) {
    const groupDir = join(root, group);
    if (!existsSync(groupDir)) continue;
    for (const name of readdirSync(groupDir)) {
      for (const kind of kinds) {
        const file = join(groupDir, name, '.vitest', `${kind}.json`);
        if (!existsSync(file)) continue;
        const report = JSON.parse(readFileSync(file, 'utf8'));
        passed += report.numPassedTests ?? 0;
        // A run can fail with no failing test (a hook timed out, a file did not load).
        failed += report.numFailedTests || (report.success === false ? 1 : 0);
        skipped += (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
      }
    }
  }
  return { passed, failed, skipped };
}

const reportKinds = ['unit', 'int', 'compose'];

function clearReports() {
  for (const group of ['apps', 'packages', 'tests']) {
    const groupDir = join(root, group);
    if (!existsSync(groupDir)) continue;
    for (const name of readdirSync(groupDir)) {
      for (const kind of reportKinds) {
        const file = join(groupDir, name, '.vitest', `${kind}.json`);
        if (existsSync(file)) writeFileSync(file, '{}');
      }
    }
  }
}

function printSummary() {
  const totals = summarize(reportKinds);
  console.log('');
  console.log(`tests: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
  return totals;
}

const command = process.argv[2];
if (command !== 'summary') ensureInstalled();
if (command === 'start' || command === 'test') ensureSystemPackages(command);

switch (command) {
  case 'test': {
    clearReports();
    const unit = pnpm(['exec', 'turbo', 'run', 'test', '--output-logs=errors-only', '--continue']);
    // Integration suites start their own PostgreSQL and Redis; one package at a
    // time keeps a 2-core machine from starving timing-sensitive tests.
    const int = pnpm(['exec', 'turbo', 'run', 'test:int', '--concurrency=1', '--continue']);
    const { failed } = printSummary();
    process.exit(unit || int || (failed > 0 ? 1 : 0));
    break;
  }
  case 'summary': {
    // CI runs suites outside `npm test` too (compose); this sums every report.
    process.exit(printSummary().failed > 0 ? 1 : 0);
    break;
  }
  case 'start': {
    const built = pnpm(['exec', 'turbo', 'run', 'build', '--output-logs=errors-only']);
    if (built !== 0) process.exit(built);
    // Ctrl-C reaches the launcher too; it drains and stops every child itself.
    // Waiting for it keeps the prompt from returning before it has finished.
    for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => {});
    process.exit(run(process.execPath, ['apps/launcher/dist/main.js', ...process.argv.slice(3)]));
    break;
  }
  default:
    console.error('usage: node scripts/run.mjs <test|start|summary>');
    process.exit(2);
}
