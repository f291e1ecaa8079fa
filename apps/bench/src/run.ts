import { randomBytes } from 'node:crypto';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { signToken } from '@dynapharm/auth';
import { Redis } from 'ioredis';
import { layoutTargets, roomSizes } from './clients/layout.ts';
import { ClientPool } from './clients/pool.ts';
import {
  type ClusterSettings,
  startApi,
  startBareHttpServer,
  startBaselineServers,
  startGateways,
} from './cluster/apps.ts';
import { prepareDatabase, SyncLog } from './cluster/database.ts';
import { ProcessMonitor, type ProcessReport, type Watched } from './infra/monitor.ts';
import { sleep, waitUntil } from './infra/ports.ts';
import { startPostgres } from './infra/postgres.ts';
import type { AppProcess } from './infra/processes.ts';
import { startRedis } from './infra/redis.ts';
import { ApiWriter } from './load/api-writer.ts';
import { BaselinePublisher } from './load/emitters.ts';
import { type OpenLoopResult, runClosedLoop, runOpenLoop } from './load/open-loop.ts';
import { measurePlainInserts } from './load/plain-inserts.ts';
import { type BenchOptions, branchCount } from './options.ts';
import {
  type FanoutResult,
  gatewayCounter,
  gatewayHeapBytes,
  measureFanout,
  rampConnections,
} from './phases.ts';
import type { Progress } from './progress.ts';
import { type LatencySummary, summarize } from './stats/histogram.ts';
import { computeRatios, type Ratios } from './stats/ratios.ts';

/** One system (ours or a baseline) under the steady and the saturation load. */
export interface SystemResult {
  steady: FanoutSummary;
  saturation?: FanoutSummary;
  processes: { steady: ProcessReport[]; saturation?: ProcessReport[] };
  connectionRampPerSec: number;
  connectFailures: number;
}

export type FanoutSummary = Omit<FanoutResult, 'lastAt'> & { offeredEventsPerSec: number };

/** What `latest.json` holds. */
export interface BenchResult {
  startedAt: string;
  finishedAt: string;
  machine: {
    cpus: number;
    cpuModel: string;
    memoryGB: number;
    node: string;
    /** 1-minute load average at the start and the end: other work on the machine skews figures. */
    loadAverage: { start: number; end: number };
  };
  options: BenchOptions;
  infra: { postgres: string; redis: string };
  profiled: boolean;
  connections: number;
  branches: number;
  roomSize: number;
  writesPerSec: number;
  latencyMs: LatencySummary;
  deliveredPerSec: number;
  lost: number;
  duplicates: number;
  apiWritesPerSec: number;
  apiResponseMs: { steady: LatencySummary; saturation: LatencySummary };
  /** Steady-phase writes: offered by the schedule, refused by the API, and shed at 1024 in flight. */
  steadyWrites: { offered: number; ok: number; failed: number; shed: number };
  connectionRampPerSec: number;
  heapBytesPerConnection: number | null;
  heapBytesPerSubscriber: number | null;
  gatewayDeliveriesPerSec: number;
  ours: SystemResult;
  baselines: {
    socketioRedis?: SystemResult & { deliveredPerSec: number; latencyMs: LatencySummary };
    rawWs?: SystemResult & { deliveredPerSec: number; latencyMs: LatencySummary };
    plainInsertsPerSec?: number;
    /** Baseline (d): the bare Express + pg endpoint under the same writers as the API. */
    bareHttpInsertsPerSec?: number;
    bareHttpResponseMs?: LatencySummary;
    bareHttpProcesses?: ProcessReport[];
  };
  ratios: Ratios;
}

const summaryOf = (result: FanoutResult, offeredEventsPerSec: number): FanoutSummary => {
  const { lastAt: _lastAt, ...rest } = result;
  return { ...rest, offeredEventsPerSec: Math.round(offeredEventsPerSec) };
};

export async function runBench(options: BenchOptions, progress: Progress): Promise<BenchResult> {
  const startedAt = new Date();
  const loadAtStart = loadavg()[0] ?? 0;
  const cleanups: (() => Promise<unknown>)[] = [];
  const cleanup = async () => {
    for (const fn of cleanups.reverse()) await fn().catch(() => {});
    cleanups.length = 0;
  };
  const stopAll = async (apps: AppProcess[]) => {
    await Promise.all(apps.map((a) => a.stop()));
  };
  try {
    const warmupMs = options.quick ? 1_000 : 3_000;
    const durationMs = options.durationSec * 1000;
    const saturationMs = options.saturationSec * 1000;
    const branchTotal = branchCount(options.connections, options.roomSize);

    progress.phase('infrastructure: PostgreSQL, Redis');
    const postgres = await startPostgres(process.env.DATABASE_URL || undefined);
    cleanups.push(() => postgres.close());
    const redis = await startRedis(process.env.REDIS_URL || undefined);
    cleanups.push(() => redis.close());
    progress.note(`PostgreSQL: ${postgres.mode}; Redis: ${redis.mode} (${redis.url})`);

    progress.phase(`migrations, seed, ${branchTotal} bench branches`);
    const branches = await prepareDatabase(postgres.url, branchTotal);
    const syncLog = new SyncLog(postgres.url);
    cleanups.push(() => syncLog.close());

    const keyPrefix = `dynapharm-bench-${process.pid}`;
    const settings: ClusterSettings = {
      databaseUrl: postgres.url,
      redisUrl: redis.url,
      keyPrefix,
      jwtSecret: randomBytes(32).toString('hex'),
      publishToken: randomBytes(16).toString('hex'),
      logDir: join(options.resultsDir, 'logs'),
      ...(options.profile ? { profileDir: join(options.resultsDir, 'profiles') } : {}),
    };
    const tokens = new Map<string, string>();
    for (const [i, branch] of branches.entries()) {
      tokens.set(
        branch,
        await signToken(
          { sub: `bench-staff-${i}`, role: 'staff', branches: [branch] },
          { secret: settings.jwtSecret, expiresIn: '6h' },
        ),
      );
    }
    const adminToken = await signToken(
      { sub: 'bench-writer', role: 'admin', branches: [] },
      { secret: settings.jwtSecret, expiresIn: '6h' },
    );

    progress.phase(`API (relay on) and ${options.gateways} gateways`);
    const apiPoolMax = Math.max(20, options.concurrency + 4);
    const api = await startApi(settings, apiPoolMax);
    const gateways = await startGateways(settings, options.gateways);
    let ourApps: AppProcess[] = [api, ...gateways];
    cleanups.push(() => stopAll(ourApps));
    const gatewayUrls = gateways.map((g) => g.url);

    const clients = await ClientPool.start(options.clientWorkers);
    cleanups.push(() => clients.close());
    const monitor = new ProcessMonitor();
    const infraWatch: Watched[] = [
      ...(postgres.pid ? [{ name: 'postgres', pid: postgres.pid, tree: true }] : []),
      ...(redis.pid ? [{ name: 'redis', pid: redis.pid }] : []),
      { name: 'bench driver', pid: process.pid },
      ...clients.pids.map((pid, i) => ({ name: `client-worker-${i + 1}`, pid })),
    ];
    monitor.set([
      { name: 'api', pid: api.pid, metricsUrl: api.url },
      ...gateways.map((g) => ({ name: g.name, pid: g.pid, metricsUrl: g.url })),
      ...infraWatch,
    ]);

    // Heap per connection: gateway heap before and after holding connections.
    const heapEmpty = await gatewayHeapBytes(gatewayUrls);
    let heapBytesPerConnection: number | null = null;
    if (options.idleConnections > 0) {
      const idle = layoutTargets(
        options.idleConnections,
        branches,
        gatewayUrls,
        options.sourceAddresses,
        tokens,
        true,
      );
      const ramp = await rampConnections(
        clients,
        'socketio',
        idle,
        progress,
        `idle phase: ${idle.length} connections without traffic`,
      );
      await sleep(3_000);
      const heapIdle = await gatewayHeapBytes(gatewayUrls);
      heapBytesPerConnection = Math.round((heapIdle - heapEmpty) / Math.max(ramp.ok, 1));
      progress.note(`gateway heap: ${Math.round(heapBytesPerConnection)} B per idle connection`);
      await clients.disconnectAll();
      await sleep(3_000);
    }

    const targets = layoutTargets(
      options.connections,
      branches,
      gatewayUrls,
      options.sourceAddresses,
      tokens,
    );
    const subscribers = roomSizes(targets);
    const heapBefore = await gatewayHeapBytes(gatewayUrls);
    const ramp = await rampConnections(
      clients,
      'socketio',
      targets,
      progress,
      `ramp: ${targets.length} subscribers over ${gateways.length} gateways, ${branches.length} rooms`,
    );
    await sleep(3_000);
    const heapAfter = await gatewayHeapBytes(gatewayUrls);
    const heapBytesPerSubscriber = Math.round((heapAfter - heapBefore) / Math.max(ramp.ok, 1));
    heapBytesPerConnection ??= heapBytesPerSubscriber;
    progress.note(`gateway heap: ${heapBytesPerSubscriber} B per subscribed connection`);

    // --- ours: API writes → sync_log → relay → Redis → gateways → clients
    const writer = new ApiWriter(api.url, adminToken, options.payloadBytes, 1024);
    cleanups.push(async () => writer.close());
    let branchCursor = 0;
    const nextBranch = () => branches[branchCursor++ % branches.length] ?? '';
    const maxInFlight = 1024;
    const fireWrite = () => {
      if (writer.inFlight >= maxInFlight) return false;
      void writer.write(nextBranch());
      return true;
    };
    const writesDone = () =>
      waitUntil('API writes to finish', async () => writer.inFlight === 0, 60_000);
    const relayDrained = () =>
      waitUntil(
        'the relay to publish everything',
        async () => (await syncLog.unpublished()) === 0,
        60_000,
      );
    const writeStatus = (label: string, started: number, seconds: number) => () =>
      `${label} ${((Date.now() - started) / 1000).toFixed(0)}/${seconds}s  writes ok ${writer.ok} failed ${writer.failed} in flight ${writer.inFlight}  received ${clients.progress().received}`;

    progress.phase(`warm-up: ${options.rate} writes/s for ${warmupMs / 1000} s`);
    await runOpenLoop(options.rate, warmupMs, fireWrite);
    await writesDone();
    await relayDrained();
    await sleep(1_500);

    let head = await syncLog.head();
    writer.resetCounters();
    const steadyStarted = Date.now();
    progress.phase(
      `steady (ours): ${options.rate} writes/s for ${options.durationSec} s`,
      writeStatus('steady', steadyStarted, options.durationSec),
    );
    await monitor.begin();
    const deliveredBefore = await gatewayCounter(gatewayUrls, 'gateway_events_delivered_total');
    const gatewayClock = Date.now();
    const steadyFrom = head;
    let steadyLoop: OpenLoopResult | undefined;
    const steady = await measureFanout(
      clients,
      subscribers,
      async () => {
        steadyLoop = await runOpenLoop(options.rate, durationMs, fireWrite);
        await writesDone();
      },
      async () => {
        await relayDrained();
        return syncLog.publishedSince(steadyFrom);
      },
    );
    const gatewayDeliveriesPerSec = Math.round(
      ((await gatewayCounter(gatewayUrls, 'gateway_events_delivered_total')) - deliveredBefore) /
        ((Date.now() - gatewayClock) / 1000),
    );
    const steadyProcesses = await monitor.end();
    const steadyApi = summarize(writer.responseMs);
    const steadyWrites = writer.ok;
    const steadyWriteCounts = {
      offered: steadyLoop?.offered ?? 0,
      ok: writer.ok,
      failed: writer.failed,
      shed: steadyLoop?.shed ?? 0,
    };
    progress.note(
      `p50 ${steady.latencyMs.p50} ms, p99 ${steady.latencyMs.p99} ms, ${steady.deliveredPerSec} delivered/s, lost ${steady.lost}, duplicates ${steady.duplicates}${writer.failed ? `, ${writer.failed} writes failed (${writer.lastError})` : ''}`,
    );

    head = await syncLog.head();
    writer.resetCounters();
    const satStarted = Date.now();
    progress.phase(
      `saturation (ours): ${options.concurrency} closed-loop writers for ${options.saturationSec} s`,
      writeStatus('saturation', satStarted, options.saturationSec),
    );
    await monitor.begin();
    let apiElapsedMs = 0;
    const satFrom = head;
    const saturation = await measureFanout(
      clients,
      subscribers,
      async () => {
        const result = await runClosedLoop(options.concurrency, saturationMs, () =>
          writer.write(nextBranch()),
        );
        apiElapsedMs = result.elapsedMs;
      },
      async () => {
        await relayDrained();
        return syncLog.publishedSince(satFrom);
      },
    );
    const satProcesses = await monitor.end();
    const apiWritesPerSec = Math.round((writer.ok / apiElapsedMs) * 1000);
    const satApi = summarize(writer.responseMs);
    progress.note(
      `${apiWritesPerSec} API writes/s; ${saturation.deliveredPerSec} delivered/s, p99 ${saturation.latencyMs.p99} ms, lost ${saturation.lost}`,
    );

    const ours: SystemResult = {
      steady: summaryOf(steady, steadyWrites / options.durationSec),
      saturation: summaryOf(saturation, apiWritesPerSec),
      processes: { steady: steadyProcesses, saturation: satProcesses },
      connectionRampPerSec: ramp.perSec,
      connectFailures: ramp.failed,
    };

    const template = await syncLog.sampleClientData();
    const baselines: BenchResult['baselines'] = {};
    if (options.baselines) {
      progress.phase(
        `baseline (c): plain single-row INSERTs, ${options.concurrency} writers for ${options.saturationSec} s`,
      );
      const plain = await measurePlainInserts(
        postgres.url,
        options.concurrency,
        saturationMs,
        options.payloadBytes,
        branches,
      );
      baselines.plainInsertsPerSec = plain.perSec;
      progress.note(`${plain.perSec} INSERTs/s`);

      // Same conditions as baseline (c): our cluster is up but idle, so neither
      // baseline competes with fan-out for the CPU the way our saturation phase does.
      progress.phase('baseline (d): bare Express + pg endpoint, start and warm-up');
      const bare = await startBareHttpServer(settings, apiPoolMax);
      let bareRunning: AppProcess[] = [bare];
      cleanups.push(() => stopAll(bareRunning));
      const bareWriter = new ApiWriter(bare.url, adminToken, options.payloadBytes, 1024);
      cleanups.push(async () => bareWriter.close());
      // Our API is warm by now (warm-up and steady phases); give this one a warm-up too.
      await runClosedLoop(options.concurrency, warmupMs, () => bareWriter.write(nextBranch()));
      bareWriter.resetCounters();
      monitor.set([{ name: 'bare-http', pid: bare.pid }, ...infraWatch]);
      const bareStarted = Date.now();
      progress.phase(
        `baseline (d): bare Express + pg endpoint, ${options.concurrency} writers for ${options.saturationSec} s`,
        () =>
          `bare HTTP ${((Date.now() - bareStarted) / 1000).toFixed(0)}/${options.saturationSec}s  writes ok ${bareWriter.ok} failed ${bareWriter.failed}`,
      );
      await monitor.begin();
      const bareLoop = await runClosedLoop(options.concurrency, saturationMs, () =>
        bareWriter.write(nextBranch()),
      );
      baselines.bareHttpProcesses = await monitor.end();
      baselines.bareHttpInsertsPerSec = Math.round((bareWriter.ok / bareLoop.elapsedMs) * 1000);
      baselines.bareHttpResponseMs = summarize(bareWriter.responseMs);
      progress.note(
        `${baselines.bareHttpInsertsPerSec} writes/s, response p50 ${baselines.bareHttpResponseMs.p50} ms, p99 ${baselines.bareHttpResponseMs.p99} ms${bareWriter.failed ? `, ${bareWriter.failed} failed (${bareWriter.lastError})` : ''}`,
      );
      bareWriter.close();
      await stopAll(bareRunning);
      bareRunning = [];
    }

    progress.phase('stopping our cluster');
    await clients.disconnectAll();
    writer.close();
    await stopAll(ourApps);
    ourApps = [];

    if (options.baselines) {
      const publisherRedis = new Redis(redis.url);
      cleanups.push(async () => publisherRedis.disconnect());
      for (const kind of ['socketio', 'raw'] as const) {
        const label = kind === 'socketio' ? 'bare Socket.IO + Redis adapter' : 'raw ws';
        progress.phase(
          `baseline (${kind === 'socketio' ? 'a' : 'b'}): ${label} × ${options.gateways}`,
        );
        const servers = await startBaselineServers(kind, settings, options.gateways);
        let running = servers;
        cleanups.push(() => stopAll(running));
        monitor.set([...servers.map((s) => ({ name: s.name, pid: s.pid })), ...infraWatch]);
        const serverTargets = layoutTargets(
          options.connections,
          branches,
          servers.map((s) => s.url),
          options.sourceAddresses,
          tokens,
        );
        const baseRamp = await rampConnections(
          clients,
          kind === 'socketio' ? 'socketio' : 'ws',
          serverTargets,
          progress,
          `ramp: ${serverTargets.length} ${label} clients`,
        );
        await sleep(2_000);
        const publisher = new BaselinePublisher(kind, publisherRedis, keyPrefix, template);
        const fire = () => {
          publisher.publish(nextBranch());
          return true;
        };
        const settle = async () => {
          // PUBLISH is acknowledged by Redis in order; a PING after it means all were sent.
          await publisherRedis.ping();
          const expected = publisher.expected;
          publisher.resetExpected();
          return expected;
        };
        progress.phase(`warm-up (${label})`);
        await runOpenLoop(options.rate, warmupMs, fire);
        await settle();
        await sleep(1_500);
        const started = Date.now();
        progress.phase(
          `steady (${label}): ${options.rate} events/s for ${options.durationSec} s`,
          () =>
            `${((Date.now() - started) / 1000).toFixed(0)}/${options.durationSec}s received ${clients.progress().received}`,
        );
        await monitor.begin();
        const baseSteady = await measureFanout(
          clients,
          subscribers,
          async () => {
            await runOpenLoop(options.rate, durationMs, fire);
          },
          settle,
        );
        const baseSteadyProcesses = await monitor.end();
        progress.note(
          `p50 ${baseSteady.latencyMs.p50} ms, p99 ${baseSteady.latencyMs.p99} ms, ${baseSteady.deliveredPerSec} delivered/s, lost ${baseSteady.lost}`,
        );
        const satStartedAt = Date.now();
        progress.phase(
          `saturation (${label}): ${apiWritesPerSec} events/s (what our API sustained) for ${options.saturationSec} s`,
          () =>
            `${((Date.now() - satStartedAt) / 1000).toFixed(0)}/${options.saturationSec}s received ${clients.progress().received}`,
        );
        await monitor.begin();
        const baseSat = await measureFanout(
          clients,
          subscribers,
          async () => {
            await runOpenLoop(Math.max(apiWritesPerSec, 1), saturationMs, fire);
          },
          settle,
        );
        const baseSatProcesses = await monitor.end();
        progress.note(
          `${baseSat.deliveredPerSec} delivered/s, p99 ${baseSat.latencyMs.p99} ms, lost ${baseSat.lost}`,
        );
        const result = {
          steady: summaryOf(baseSteady, options.rate),
          saturation: summaryOf(baseSat, apiWritesPerSec),
          processes: { steady: baseSteadyProcesses, saturation: baseSatProcesses },
          connectionRampPerSec: baseRamp.perSec,
          connectFailures: baseRamp.failed,
          deliveredPerSec: baseSteady.deliveredPerSec,
          latencyMs: baseSteady.latencyMs,
        };
        if (kind === 'socketio') baselines.socketioRedis = result;
        else baselines.rawWs = result;
        await clients.disconnectAll();
        await stopAll(servers);
        running = [];
      }
    }

    progress.phase('cleaning up');
    await cleanup();

    const ratios = computeRatios({
      latencyP50Ms: steady.latencyMs.p50,
      latencyP99Ms: steady.latencyMs.p99,
      socketioRedisP99Ms: baselines.socketioRedis?.latencyMs.p99 ?? null,
      deliveredPerSec: saturation.deliveredPerSec,
      socketioRedisDeliveredPerSec: baselines.socketioRedis?.saturation?.deliveredPerSec ?? null,
      rawWsDeliveredPerSec: baselines.rawWs?.saturation?.deliveredPerSec ?? null,
      apiWritesPerSec,
      bareHttpWritesPerSec: baselines.bareHttpInsertsPerSec ?? null,
      plainInsertsPerSec: baselines.plainInsertsPerSec ?? null,
      heapBytesPerConnection,
    });
    const cpuList = cpus();
    return {
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      machine: {
        cpus: cpuList.length,
        cpuModel: cpuList[0]?.model ?? 'unknown',
        memoryGB: Math.round(totalmem() / 1024 ** 3),
        node: process.version,
        loadAverage: { start: loadAtStart, end: loadavg()[0] ?? 0 },
      },
      options,
      infra: { postgres: postgres.mode, redis: redis.mode },
      profiled: options.profile,
      connections: ramp.ok,
      branches: branches.length,
      roomSize: options.roomSize,
      writesPerSec: options.rate,
      latencyMs: steady.latencyMs,
      deliveredPerSec: steady.deliveredPerSec,
      lost: steady.lost,
      duplicates: steady.duplicates,
      apiWritesPerSec,
      apiResponseMs: { steady: steadyApi, saturation: satApi },
      steadyWrites: steadyWriteCounts,
      connectionRampPerSec: ramp.perSec,
      heapBytesPerConnection,
      heapBytesPerSubscriber,
      gatewayDeliveriesPerSec,
      ours,
      baselines,
      ratios,
    };
  } finally {
    progress.stopTicking();
    await cleanup();
  }
}
