import { randomBytes } from 'node:crypto';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { signToken } from '@dynapharm/auth';
import { layoutTargets } from '../clients/layout.ts';
import { ClientPool } from '../clients/pool.ts';
import { type ClusterSettings, startApi, startGateways } from '../cluster/apps.ts';
import { prepareDatabase, SyncLog } from '../cluster/database.ts';
import { ProcessMonitor, type ProcessReport } from '../infra/monitor.ts';
import { sleep, waitUntil } from '../infra/ports.ts';
import { startPostgres } from '../infra/postgres.ts';
import type { AppProcess } from '../infra/processes.ts';
import { startRedis } from '../infra/redis.ts';
import { ApiWriter } from '../load/api-writer.ts';
import { runOpenLoop } from '../load/open-loop.ts';
import { branchCount } from '../options.ts';
import { rampConnections } from '../phases.ts';
import type { Progress } from '../progress.ts';
import type { LatencySummary } from '../stats/histogram.ts';
import { type Trend, trend } from '../stats/trend.ts';
import type { SoakOptions } from './options.ts';

/** One sample window. Counts named "so far" are cumulative since the steady load began. */
export interface SoakSample {
  /** Seconds since the steady load began, at the end of the window. */
  atSec: number;
  latencyMs: LatencySummary;
  deliveredPerSec: number;
  writesOk: number;
  writesFailed: number;
  lostSoFar: number;
  duplicatesSoFar: number;
  unexpectedSoFar: number;
  disconnectsSoFar: number;
  clientEventLoopP99Ms: number;
  processes: ProcessReport[];
}

export interface SoakResult {
  startedAt: string;
  finishedAt: string;
  machine: {
    cpus: number;
    cpuModel: string;
    node: string;
    loadAverage: { start: number; end: number };
  };
  options: SoakOptions;
  infra: { postgres: string; redis: string };
  connections: number;
  connectFailures: number;
  /** True when SIGINT or the watchdog cut the run short. */
  interrupted: boolean;
  samples: SoakSample[];
  /** First window vs last, per process: RSS and (for the apps) V8 heap used, MB. */
  memory: { name: string; rssMB: Trend | null; heapUsedMB: Trend | null }[];
  latencyDrift: { p50Ms: Trend | null; p99Ms: Trend | null };
  lost: number;
  duplicates: number;
  /** Deliveries of offsets already checked (a copy later than one window), or from before the run. */
  unexpected: number;
  disconnects: number;
  writes: { ok: number; failed: number; shed: number };
}

const notMachine = (p: ProcessReport) => p.name !== 'machine total' && !p.name.startsWith('(');

/** Memory growth and latency drift of a list of samples (the first sample is the post-warm-up baseline). */
export function summarizeSamples(samples: readonly SoakSample[]) {
  const names = (samples[0]?.processes ?? []).filter(notMachine).map((p) => p.name);
  const series = (pick: (p: ProcessReport) => number | undefined, name: string) =>
    samples.flatMap((s) => {
      const v = pick(s.processes.find((p) => p.name === name) ?? { name, cpuPercent: 0, rssMB: 0 });
      return v === undefined ? [] : [{ t: s.atSec, v }];
    });
  return {
    memory: names.map((name) => ({
      name,
      rssMB: trend(series((p) => p.rssMB, name)),
      heapUsedMB: trend(series((p) => p.heapUsedMB, name)),
    })),
    latencyDrift: {
      p50Ms: trend(samples.map((s) => ({ t: s.atSec, v: s.latencyMs.p50 }))),
      p99Ms: trend(samples.map((s) => ({ t: s.atSec, v: s.latencyMs.p99 }))),
    },
  };
}

/** One line per sample on stderr. */
function sampleLine(s: SoakSample, planned: number) {
  const by = (prefix: string, pick: (p: ProcessReport) => number | undefined) =>
    s.processes
      .filter((p) => p.name.startsWith(prefix))
      .map((p) => pick(p) ?? '—')
      .join('/');
  const t = `${Math.round(s.atSec)}/${planned}s`;
  return `${t.padStart(11)}  p50 ${s.latencyMs.p50} p99 ${s.latencyMs.p99} ms  ${s.deliveredPerSec}/s  lost ${s.lostSoFar} dup ${s.duplicatesSoFar}  | RSS MB api ${by('api', (p) => p.rssMB)} gw ${by('gateway', (p) => p.rssMB)} pg ${by('postgres', (p) => p.rssMB)} redis ${by('redis', (p) => p.rssMB)} cw ${by('client-worker', (p) => p.rssMB)} | heap MB api ${by('api', (p) => p.heapUsedMB)} gw ${by('gateway', (p) => p.heapUsedMB)} | loop p99 ms api ${by('api', (p) => p.eventLoopP99Ms)} gw ${by('gateway', (p) => p.eventLoopP99Ms)} cw ${s.clientEventLoopP99Ms.toFixed(1)} | CPU % api ${by('api', (p) => p.cpuPercent)} gw ${by('gateway', (p) => p.cpuPercent)} pg ${by('postgres', (p) => p.cpuPercent)}`;
}

/**
 * The bench's cluster at a constant write rate for `minutes`, sampled every
 * `sampleSec`. `stop` ends the steady load early (SIGINT, watchdog).
 */
export async function runSoak(
  options: SoakOptions,
  progress: Progress,
  stop: AbortSignal,
): Promise<SoakResult> {
  const startedAt = new Date();
  const loadAtStart = loadavg()[0] ?? 0;
  const cleanups: (() => Promise<unknown>)[] = [];
  try {
    progress.phase('infrastructure: PostgreSQL, Redis');
    const postgres = await startPostgres(process.env.DATABASE_URL || undefined);
    cleanups.push(() => postgres.close());
    const redis = await startRedis(process.env.REDIS_URL || undefined);
    cleanups.push(() => redis.close());
    progress.note(`PostgreSQL: ${postgres.mode}; Redis: ${redis.mode} (${redis.url})`);

    const branchTotal = branchCount(options.connections, options.roomSize);
    progress.phase(`migrations, seed, ${branchTotal} bench branches`);
    const branches = await prepareDatabase(postgres.url, branchTotal);
    const syncLog = new SyncLog(postgres.url);
    cleanups.push(() => syncLog.close());

    const settings: ClusterSettings = {
      databaseUrl: postgres.url,
      redisUrl: redis.url,
      keyPrefix: `dynapharm-bench-${process.pid}`,
      jwtSecret: randomBytes(32).toString('hex'),
      publishToken: randomBytes(16).toString('hex'),
      logDir: join(options.resultsDir, 'logs'),
    };
    const expiresIn = `${Math.ceil(options.minutes / 60) + 2}h`;
    const tokens = new Map<string, string>();
    for (const [i, branch] of branches.entries()) {
      tokens.set(
        branch,
        await signToken(
          { sub: `bench-staff-${i}`, role: 'staff', branches: [branch] },
          { secret: settings.jwtSecret, expiresIn },
        ),
      );
    }
    const adminToken = await signToken(
      { sub: 'bench-writer', role: 'admin', branches: [] },
      { secret: settings.jwtSecret, expiresIn },
    );

    progress.phase(`API (relay on) and ${options.gateways} gateways`);
    const api = await startApi(settings, 24);
    const apps: AppProcess[] = [api];
    cleanups.push(() => Promise.all(apps.map((a) => a.stop())));
    apps.push(...(await startGateways(settings, options.gateways)));
    const gateways = apps.slice(1);

    const clients = await ClientPool.start(options.clientWorkers);
    cleanups.push(() => clients.close());
    const monitor = new ProcessMonitor();
    monitor.set([
      ...apps.map((a) => ({ name: a.name, pid: a.pid, metricsUrl: a.url })),
      ...(postgres.pid ? [{ name: 'postgres', pid: postgres.pid, tree: true }] : []),
      ...(redis.pid ? [{ name: 'redis', pid: redis.pid }] : []),
      ...clients.pids.map((pid, i) => ({ name: `client-worker-${i + 1}`, pid })),
      { name: 'bench driver', pid: process.pid },
    ]);

    const targets = layoutTargets(
      options.connections,
      branches,
      gateways.map((g) => g.url),
      options.sourceAddresses,
      tokens,
    );
    const ramp = await rampConnections(
      clients,
      'socketio',
      targets,
      progress,
      `ramp: ${targets.length} subscribers over ${gateways.length} gateways, ${branches.length} rooms`,
    );

    const writer = new ApiWriter(api.url, adminToken, options.payloadBytes, 1024);
    cleanups.push(async () => writer.close());
    let cursor = 0;
    let shed = 0;
    const fire = () => {
      if (writer.inFlight >= 1024) {
        shed++;
        return false;
      }
      void writer.write(branches[cursor++ % branches.length] ?? '');
      return true;
    };
    const drain = async () => {
      await waitUntil('API writes to finish', async () => writer.inFlight === 0, 60_000);
      await waitUntil(
        'the relay to publish everything',
        async () => (await syncLog.unpublished()) === 0,
        60_000,
      );
    };

    progress.phase(`warm-up: ${options.rate} writes/s for ${options.warmupSec} s`);
    await runOpenLoop(options.rate, options.warmupSec * 1000, fire);
    await drain();
    await sleep(1_500);

    const plannedSec = options.minutes * 60;
    progress.phase(
      `steady: ${options.rate} writes/s for ${options.minutes} min, a sample every ${options.sampleSec} s`,
    );
    writer.resetCounters();
    shed = 0;
    let checkedUpTo = await syncLog.head();
    let pendingUpTo: number | undefined;
    clients.startPhase();
    await sleep(200);
    await monitor.begin();
    const steadyStart = Date.now();
    const endAt = steadyStart + plannedSec * 1000;
    const running = () => !stop.aborted && Date.now() < endAt;

    // Open loop in one-second slices so a stop takes effect within a second.
    const load = (async () => {
      while (running()) await runOpenLoop(options.rate, Math.min(1000, endAt - Date.now()), fire);
    })();

    const samples: SoakSample[] = [];
    const totals = { lost: 0, duplicates: 0, unexpected: 0, disconnects: 0, ok: 0, failed: 0 };
    let windowStart = Date.now();
    const takeSample = async (expected: Record<string, number[]>, upTo: number) => {
      const w = await clients.window(expected, upTo);
      const processes = await monitor.end();
      await monitor.begin();
      const now = Date.now();
      totals.lost += w.lost;
      totals.duplicates += w.duplicates;
      totals.unexpected += w.unexpected;
      totals.disconnects += w.disconnects;
      const sample: SoakSample = {
        atSec: Math.round((now - steadyStart) / 100) / 10,
        latencyMs: w.latencyMs,
        deliveredPerSec: Math.round(w.received / Math.max((now - windowStart) / 1000, 0.001)),
        writesOk: writer.ok - totals.ok,
        writesFailed: writer.failed - totals.failed,
        lostSoFar: totals.lost,
        duplicatesSoFar: totals.duplicates,
        unexpectedSoFar: totals.unexpected,
        disconnectsSoFar: totals.disconnects,
        clientEventLoopP99Ms: Math.round(w.clientEventLoopP99Ms * 10) / 10,
        processes,
      };
      totals.ok = writer.ok;
      totals.failed = writer.failed;
      windowStart = now;
      return sample;
    };

    for (let k = 1; running(); k++) {
      const due = steadyStart + k * options.sampleSec * 1000;
      while (running() && Date.now() < due) await sleep(Math.min(250, due - Date.now()));
      if (stop.aborted) break;
      // Offsets committed by the previous sample have had a whole window to arrive.
      const head = await syncLog.head();
      const expected =
        pendingUpTo === undefined ? {} : await syncLog.offsetsBetween(checkedUpTo, pendingUpTo);
      const sample = await takeSample(expected, pendingUpTo ?? checkedUpTo);
      if (pendingUpTo !== undefined) checkedUpTo = pendingUpTo;
      pendingUpTo = head;
      samples.push(sample);
      process.stderr.write(`${sampleLine(sample, plannedSec)}\n`);
    }
    await load;

    if (!stop.aborted) {
      // Let the last writes arrive, then check everything not yet checked.
      progress.phase('draining: last writes, relay, deliveries');
      await drain();
      await sleep(3_000);
      const head = await syncLog.head();
      const last = await clients.window(await syncLog.offsetsBetween(checkedUpTo, head), head);
      totals.lost += last.lost;
      totals.duplicates += last.duplicates;
      totals.unexpected += last.unexpected;
      totals.disconnects += last.disconnects;
    }

    progress.phase('stopping the cluster');
    for (const fn of cleanups.reverse()) await fn().catch(() => {});
    cleanups.length = 0;

    const cpuList = cpus();
    return {
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      machine: {
        cpus: cpuList.length,
        cpuModel: cpuList[0]?.model ?? 'unknown',
        node: process.version,
        loadAverage: { start: loadAtStart, end: loadavg()[0] ?? 0 },
      },
      options,
      infra: { postgres: postgres.mode, redis: redis.mode },
      connections: ramp.ok,
      connectFailures: ramp.failed,
      interrupted: stop.aborted,
      samples,
      ...summarizeSamples(samples),
      lost: totals.lost,
      duplicates: totals.duplicates,
      unexpected: totals.unexpected,
      disconnects: totals.disconnects,
      writes: { ok: writer.ok, failed: writer.failed, shed },
    };
  } finally {
    progress.stopTicking();
    for (const fn of cleanups.reverse()) await fn().catch(() => {});
  }
}
