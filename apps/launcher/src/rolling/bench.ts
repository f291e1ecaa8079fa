/**
 * `pnpm bench:rolling`: a rolling restart of the local cluster's gateways under
 * load, measured. Starts the launcher (its own embedded PostgreSQL unless
 * DATABASE_URL is set, free ports, a Redis key prefix of its own), opens
 * `--connections` Socket.IO clients through the front door, writes at
 * `--rate`/s, replaces every gateway one by one (`POST /restart`), then checks
 * every client against `sync_log`. Prints the figures and writes them as JSON.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { callLauncher } from '../control/client.ts';
import { freePort, isPortOpen, sleep } from '../process/net.ts';
import { startEmbeddedPostgres } from '../services/postgres.ts';
import { startRollingLoad } from './load.ts';

const repoRoot = fileURLToPath(new URL('../../../..', import.meta.url));
const launcherEntry = fileURLToPath(new URL('../main.js', import.meta.url));

const usage = `usage: pnpm bench:rolling [-- options]
  --connections N   Socket.IO clients through the front door (2000)
  --rate N          writes per second, open loop, throughout (10)
  --gateways N      gateway replicas (3)
  --spread MS       DRAIN_SPREAD_MS: window a draining gateway spreads its clients over (5000)
  --drain MS        DRAIN_TIMEOUT_MS (15000)
  --before S        seconds of load before the restart (10)
  --after S         seconds of load after it (5)
  --out FILE        JSON output (apps/bench/results/rolling.json)`;

const { values } = parseArgs({
  options: {
    connections: { type: 'string', default: '2000' },
    rate: { type: 'string', default: '10' },
    gateways: { type: 'string', default: '3' },
    spread: { type: 'string', default: '5000' },
    drain: { type: 'string', default: '15000' },
    before: { type: 'string', default: '10' },
    after: { type: 'string', default: '5' },
    out: { type: 'string', default: join(repoRoot, 'apps/bench/results/rolling.json') },
    help: { type: 'boolean', default: false },
  },
  args: process.argv.slice(2).filter((a) => a !== '--'),
});
if (values.help) {
  console.log(usage);
  process.exit(0);
}
const num = (name: keyof typeof values, min: number, max: number) => {
  const n = Number(values[name]);
  if (!Number.isInteger(n) || n < min || n > max) {
    console.error(`--${name}: "${values[name]}" is not a whole number ${min}-${max}\n\n${usage}`);
    process.exit(2);
  }
  return n;
};
const options = {
  connections: num('connections', 1, 20_000),
  rate: num('rate', 1, 1_000),
  gateways: num('gateways', 1, 19),
  spreadMs: num('spread', 0, 600_000),
  drainMs: num('drain', 1_000, 600_000),
  beforeS: num('before', 1, 3_600),
  afterS: num('after', 1, 3_600),
};
const log = (line: string) => process.stderr.write(`[bench:rolling] ${line}\n`);
const load1 = () => loadavg()[0]?.toFixed(2) ?? '?';

const workDir = mkdtempSync(join(tmpdir(), 'bench-rolling-'));
const dataDir = join(workDir, 'data');
const logDir = join(workDir, 'logs');
mkdirSync(logDir, { recursive: true });
let launcher: ChildProcess | undefined;
let stopPostgres: (() => Promise<unknown>) | undefined;

async function gatewayBase(count: number) {
  for (let base = 21_000; base < 60_000; base += 100) {
    const open = await Promise.all(Array.from({ length: count }, (_, i) => isPortOpen(base + i)));
    if (open.every((o) => !o)) return base;
  }
  throw new Error('no free range of gateway ports');
}

async function main() {
  const loadAtStart = loadavg();
  let databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl) {
    log('starting embedded PostgreSQL');
    const pg = await startEmbeddedPostgres({
      dataDir: join(workDir, 'pg'),
      logDir,
      password: 'bench-rolling-local-only',
      env: process.env,
    });
    databaseUrl = pg.url;
    stopPostgres = () => pg.child.stop('SIGTERM', 20_000);
  }
  const ports = {
    FRONT_DOOR_PORT: await freePort(),
    API_PORT: await freePort(),
    CONTROL_PORT: await freePort(),
    WEB_PORT: await freePort(),
    HAPROXY_STATS_PORT: 0,
    GATEWAY_BASE_PORT: await gatewayBase(20),
  };
  const url = `http://127.0.0.1:${ports.FRONT_DOOR_PORT}`;
  let output = '';
  launcher = spawn(process.execPath, [launcherEntry], {
    env: {
      ...process.env,
      ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])),
      LAUNCHER_DATA_DIR: dataDir,
      DATABASE_URL: databaseUrl,
      REDIS_KEY_PREFIX: `dynapharm-bench-rolling-${process.pid}`,
      GATEWAY_REPLICAS: String(options.gateways),
      DRAIN_TIMEOUT_MS: String(options.drainMs),
      DRAIN_SPREAD_MS: String(options.spreadMs),
      READ_RATE_LIMIT_PER_MINUTE: '10000000',
      WRITE_RATE_LIMIT_PER_MINUTE: '10000000',
      CHILD_LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  for (const stream of [launcher.stdout, launcher.stderr]) {
    stream?.on('data', (chunk) => {
      output += String(chunk);
    });
  }
  log(`starting the cluster (${options.gateways} gateways, logs in ${logDir} and ${dataDir}/logs)`);
  const upBy = Date.now() + 180_000;
  while (!output.includes('Dynapharm Realtime is up')) {
    if (launcher.exitCode !== null || Date.now() > upBy) {
      throw new Error(`the launcher did not come up:\n${output}`);
    }
    await sleep(200);
  }

  const rolling = await startRollingLoad({
    url,
    connections: options.connections,
    writesPerSec: options.rate,
    log,
  });
  try {
    log(`${options.beforeS} s of load before the restart (load average ${load1()})`);
    await sleep(options.beforeS * 1000);
    const perGateway = rolling.snapshotGateways();
    const loadBefore = loadavg();
    log(`restarting every gateway (clients per gateway ${JSON.stringify(perGateway)})`);
    rolling.mark('during');
    const started = Date.now();
    const restarted = await callLauncher(dataDir, {
      method: 'POST',
      path: '/restart',
      body: {},
      timeoutMs: 30 * 60_000,
    });
    const restartMs = Date.now() - started;
    const loadDuring = loadavg();
    rolling.mark('after');
    log(`restart done in ${restartMs} ms; ${options.afterS} s more`);
    await sleep(options.afterS * 1000);
    await rolling.stopWriting();
    log('checking every client against sync_log');
    const figures = await rolling.check(databaseUrl, 120_000);
    return {
      ...figures,
      restartMs,
      replaced: restarted.replaced,
      drainSpreadMs: options.spreadMs,
      drainTimeoutMs: options.drainMs,
      gateways: options.gateways,
      machine: { cpus: cpus().length, cpu: cpus()[0]?.model },
      loadAverage: { start: loadAtStart, beforeRestart: loadBefore, afterRestart: loadDuring },
      at: new Date().toISOString(),
    };
  } finally {
    rolling.close();
  }
}

async function cleanUp() {
  if (launcher && launcher.exitCode === null && launcher.signalCode === null) {
    const exited = new Promise((r) => launcher?.once('exit', r));
    launcher.kill('SIGINT');
    await Promise.race([exited, sleep(60_000)]);
  }
  await stopPostgres?.().catch(() => {});
  rmSync(workDir, { recursive: true, force: true });
}

const watchdog = setTimeout(
  () => {
    log('watchdog: the run overstayed; stopping');
    void cleanUp().finally(() => process.exit(1));
  },
  (options.beforeS + options.afterS) * 1000 +
    options.gateways * (options.drainMs + 60_000) +
    600_000,
);
watchdog.unref();

try {
  const result = await main();
  const { latency: l, reconnects: r, resumes: u, check: c } = result;
  const row = (name: string, p: { count: number; p50: number; p99: number; max: number }) =>
    `  ${name.padEnd(8)} ${String(p.count).padStart(8)} ${p.p50.toFixed(1).padStart(9)} ${p.p99.toFixed(1).padStart(9)} ${p.max.toFixed(0).padStart(8)}`;
  console.log(
    [
      `rolling restart: ${result.connections} connections on ${result.gateways} gateways, ${result.writesPerSec} writes/s, ${result.branches} rooms, DRAIN_SPREAD_MS ${result.drainSpreadMs}`,
      `  clients per gateway before: ${JSON.stringify(result.clientsPerGateway)}`,
      `  restart took ${result.restartMs} ms; writes ${result.writes.sent} sent, ${result.writes.failed} failed, ${result.writes.retried} tries retried${result.writes.errors.length ? ` (${[...new Set(result.writes.errors)].join('; ')})` : ''}`,
      '  commit → client    events    p50 ms    p99 ms   max ms',
      row('before', l.before),
      row('during', l.during),
      row('after', l.after),
      `  socket reconnects ${r.total}, peak ${r.peakPerSec}/s; per second from the restart: ${r.perSecond.join(' ')}`,
      `  resumes (reconnected and caught up) ${u.total}, peak ${u.peakPerSec}/s; per second: ${u.perSecond.join(' ')}`,
      `  gateway side (/ws-stats, ~1 s): connections gained by serving replicas, peak ${result.arrivals.peakPerSec}/s; per second: ${result.arrivals.perSecond.join(' ')}`,
      `  load generator event-loop delay p99 ${result.loadGeneratorLagMs.p99} ms, max ${result.loadGeneratorLagMs.max} ms (client-side timestamps are late by up to this)`,
      `  check: lost ${c.lost}, duplicates ${c.duplicates}, foreign ${c.foreign}, ${c.clientsComplete}/${result.connections} clients complete, ${c.expectedChanges} expected deliveries`,
      `  load average (1 min) start ${result.loadAverage.start[0]?.toFixed(2)}, before ${result.loadAverage.beforeRestart[0]?.toFixed(2)}, after ${result.loadAverage.afterRestart[0]?.toFixed(2)} on ${result.machine.cpus} cores`,
    ].join('\n'),
  );
  const out = resolve(values.out ?? '');
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
  log(`wrote ${out}`);
  await cleanUp();
  process.exit(c.lost === 0 && c.duplicates === 0 && c.foreign === 0 ? 0 : 1);
} catch (err) {
  console.error(err instanceof Error ? err.message : err);
  await cleanUp();
  process.exit(1);
}
