import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import type { Server } from 'node:http';
import { join } from 'node:path';
import { createDb, demoUsers, runMigrations, seedDatabase } from '@dynapharm/db';
import { takeBaseBackup } from '../backup/local-backup.ts';
import { startControlServer } from '../control/control-server.ts';
import { inheritedEnv, isLoopback, type LauncherSettings, MAX_REPLICAS } from '../env.ts';
import type { FrontDoor } from '../front-door/front-door.ts';
import { startHaproxy } from '../front-door/haproxy.ts';
import { startNodeFrontDoor } from '../front-door/node-proxy.ts';
import { GATEWAY_STATS_PATH } from '../front-door/routes.ts';
import { type ManagedChild, startChild, tailOf } from '../process/child.ts';
import { canListen, findExecutable, waitForHttp } from '../process/net.ts';
import type { Progress } from '../progress.ts';
import { type Monitoring, startMonitoring } from '../services/monitoring.ts';
import { startLocalPgBouncer } from '../services/pgbouncer.ts';
import { type EmbeddedPostgresHandle, startEmbeddedPostgres } from '../services/postgres.ts';
import { redactUrl, redisAnswers, resolveRedis } from '../services/redis.ts';
import {
  commandLineIncludes,
  isAlive,
  killLeftovers,
  loadSecrets,
  readState,
  removeState,
  writeState,
} from '../state.ts';
import { statusPage } from '../web/status-page.ts';
import { hasWebBuild, STATUS_PATH, startWebServer } from '../web/web-server.ts';
import { createGatewayFleet, gatewayTarget } from './gateways.ts';

export interface LaunchOptions {
  settings: LauncherSettings;
  /** The launcher's whole environment (children inherit it, minus the launcher's own knobs). */
  processEnv: NodeJS.ProcessEnv;
  replicas: number;
  frontDoor: 'auto' | 'haproxy' | 'node';
  progress: Progress;
  /** Runs once the data directory is known and before PostgreSQL starts (`restore`). */
  beforePostgres?: () => Promise<void>;
}

/** A running local cluster. */
export interface LaunchedCluster {
  /** Stops everything in order: front door, gateways (drain) and API, Redis, PostgreSQL. */
  stop(): Promise<void>;
  /** Kills every process group at once (second Ctrl-C). */
  kill(): void;
  /** Resolves when something the cluster cannot run without (API, PostgreSQL) has died. */
  failed: Promise<string>;
}

/** Thrown when the launcher cannot start; the message is for the operator. */
export class LaunchError extends Error {
  override readonly name = 'LaunchError';
}

/** Starts the local cluster; on failure stops whatever it had started and throws. */
export async function launch(options: LaunchOptions): Promise<LaunchedCluster> {
  const { settings, progress } = options;
  const { env, dataDir, repoRoot } = settings;
  const logDir = join(dataDir, 'logs');
  mkdirSync(logDir, { recursive: true });

  const previous = readState(dataDir);
  if (previous && previous.pid !== process.pid && isAlive(previous.pid)) {
    if (commandLineIncludes(previous.pid, ['launcher'])) {
      throw new LaunchError(
        `a local cluster is already running (launcher pid ${previous.pid}, ${previous.frontDoorUrl}). Stop it with Ctrl-C in its terminal or kill ${previous.pid}.`,
      );
    }
  }
  if (previous) {
    const killed = killLeftovers(previous, (pid) =>
      commandLineIncludes(pid, [
        'gateway',
        'api',
        'postgres',
        'haproxy',
        'redis-server',
        'prometheus',
      ]),
    );
    if (killed.length > 0)
      progress.line(`  cleaned up after a launcher that did not stop: ${killed.join(', ')}`);
    removeState(dataDir);
  }

  const apiEntry = join(repoRoot, 'apps/api/dist/main.js');
  const gatewayEntry = join(repoRoot, 'apps/gateway/dist/main.js');
  for (const entry of [apiEntry, gatewayEntry]) {
    if (!existsSync(entry)) throw new LaunchError(`${entry} is missing: run pnpm build first`);
  }

  const haproxyBinary =
    options.frontDoor === 'node'
      ? undefined
      : findExecutable('haproxy', options.processEnv.PATH ?? '');
  if (options.frontDoor === 'haproxy' && !haproxyBinary) {
    throw new LaunchError('--front-door haproxy: haproxy is not on PATH (apt-get install haproxy)');
  }

  const ports: [string, number][] = [
    ['FRONT_DOOR_PORT', env.FRONT_DOOR_PORT],
    ['API_PORT', env.API_PORT],
    ['CONTROL_PORT', env.CONTROL_PORT],
    ['WEB_PORT', env.WEB_PORT],
    ...Array.from({ length: options.replicas }, (_, i): [string, number] => [
      'GATEWAY_BASE_PORT',
      env.GATEWAY_BASE_PORT + i,
    ]),
  ];
  if (haproxyBinary && env.HAPROXY_STATS_PORT > 0) {
    ports.push(['HAPROXY_STATS_PORT', env.HAPROXY_STATS_PORT]);
  }
  if (env.MONITORING) {
    ports.push(
      ['PROMETHEUS_PORT', env.PROMETHEUS_PORT],
      ['ALERTMANAGER_PORT', env.ALERTMANAGER_PORT],
    );
  }
  if (env.PGBOUNCER) ports.push(['PGBOUNCER_PORT', env.PGBOUNCER_PORT]);
  for (const [name, port] of ports) {
    if (!(await canListen(port))) {
      throw new LaunchError(
        `port ${port} (${name}) is in use; free it or set ${name} to another port`,
      );
    }
  }

  const secrets = loadSecrets(dataDir);
  const childEnv = inheritedEnv(options.processEnv);
  const frontDoorUrl = `http://localhost:${env.FRONT_DOOR_PORT}`;
  const origins = [frontDoorUrl, `http://127.0.0.1:${env.FRONT_DOOR_PORT}`].join(',');
  const prefix = env.REDIS_KEY_PREFIX ? { REDIS_KEY_PREFIX: env.REDIS_KEY_PREFIX } : {};
  const controlToken = randomBytes(24).toString('base64url');

  const extras: ManagedChild[] = [];
  let api: ManagedChild | undefined;
  let postgres: ManagedChild | undefined;
  let embedded: EmbeddedPostgresHandle | undefined;
  let frontDoor: FrontDoor | undefined;
  let monitoring: Monitoring | undefined;
  let web: Server | undefined;
  let control: Server | undefined;
  let stopping = false;
  let reportFailure: (reason: string) => void = () => {};
  const failed = new Promise<string>((resolve) => {
    reportFailure = resolve;
  });

  const saveState = () => {
    if (!control) return;
    const children = [
      ...(postgres ? [postgres] : []),
      ...extras,
      ...(api ? [api] : []),
      ...fleet.children(),
      ...(frontDoor?.children() ?? []),
    ];
    writeState(dataDir, {
      pid: process.pid,
      controlPort: env.CONTROL_PORT,
      controlToken,
      startedAt: new Date().toISOString(),
      frontDoorUrl,
      children: children.map((c) => ({ name: c.name, pid: c.pid })),
    });
  };

  // Known once Redis is resolved; replicas start after that.
  let gatewayEnv: NodeJS.ProcessEnv = {};
  const fleet = createGatewayFleet({
    entry: gatewayEntry,
    cwd: join(repoRoot, 'apps/gateway'),
    logDir,
    basePort: env.GATEWAY_BASE_PORT,
    env: () => gatewayEnv,
    onUnexpectedExit: (name, detail) =>
      progress.line(
        `! gateway ${name} ${detail}\n  (the front door skips it; pnpm cluster:scale restores the count)`,
      ),
    onChange: saveState,
    maxReplicas: MAX_REPLICAS,
  });

  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await new Promise<void>((resolve) => (control ? control.close(() => resolve()) : resolve()));
    await frontDoor?.close().catch(() => {});
    await Promise.all([fleet.stopAll(), api?.stop('SIGTERM', 20_000)]);
    await new Promise<void>((resolve) => (web ? web.close(() => resolve()) : resolve()));
    await Promise.all(extras.map((c) => c.stop('SIGTERM', 5_000)));
    await postgres?.stop('SIGTERM', 20_000);
    removeState(dataDir);
  };
  const kill = () => {
    stopping = true;
    fleet.killAll();
    for (const child of [api, postgres, ...extras, ...(frontDoor?.children() ?? [])]) child?.kill();
    removeState(dataDir);
  };

  try {
    let postgresNotes: string[] = [];
    const databaseUrl = await progress.step(
      env.DATABASE_URL ? 'PostgreSQL (DATABASE_URL)' : 'PostgreSQL (embedded)',
      async () => {
        if (env.DATABASE_URL) return env.DATABASE_URL;
        await options.beforePostgres?.();
        const pg = await startEmbeddedPostgres({
          dataDir,
          logDir,
          password: secrets.postgresPassword,
          env: childEnv,
        });
        postgres = pg.child;
        embedded = pg;
        postgresNotes = pg.notes;
        void pg.child.exited.then(() => {
          if (!stopping) reportFailure(`PostgreSQL exited:\n${tailOf(pg.child.logFile)}`);
        });
        return pg.url;
      },
      (url) => redactUrl(url),
    );
    for (const note of postgresNotes) progress.line(`    ${note}`);

    // An operator's Redis Cluster (REDIS_CLUSTER_NODES, which the apps inherit
    // with REDIS_ADAPTER) replaces the launcher's Redis; the apps refuse it
    // together with REDIS_URL, so the launcher does too, before starting anything.
    const clusterNodes = childEnv.REDIS_CLUSTER_NODES?.trim() || undefined;
    let redisEnv: Record<string, string>;
    if (clusterNodes) {
      redisEnv = await progress.step(
        'Redis Cluster',
        async () => {
          if (env.REDIS_URL) {
            throw new Error(
              'REDIS_URL and REDIS_CLUSTER_NODES are mutually exclusive: set only one',
            );
          }
          const seed = clusterNodes.split(',')[0]?.trim() ?? '';
          if (!(await redisAnswers(`redis://${seed}`, 5_000))) {
            throw new Error(`REDIS_CLUSTER_NODES is set but ${seed} does not answer PING`);
          }
          return { REDIS_CLUSTER_NODES: clusterNodes };
        },
        () => `${clusterNodes} (REDIS_CLUSTER_NODES)`,
      );
    } else {
      const redis = await progress.step(
        'Redis',
        async () => {
          const handle = await resolveRedis({
            redisUrl: env.REDIS_URL,
            path: options.processEnv.PATH ?? '',
            dataDir,
            logDir,
            env: childEnv,
          });
          if (handle.child) extras.push(handle.child);
          return handle;
        },
        (r) =>
          `${redactUrl(r.url)} (${r.source === 'redis-server' ? 'started redis-server' : r.source === 'local' ? 'already running' : 'REDIS_URL'})`,
      );
      redisEnv = { REDIS_URL: redis.url };
    }

    await progress.step('migrations', () => runMigrations(databaseUrl));
    await progress.step(
      'demo data',
      async () => {
        const { db, close } = createDb(databaseUrl, {
          max: 2,
          applicationName: 'dynapharm-launcher',
        });
        try {
          return await seedDatabase(db);
        } finally {
          await close();
        }
      },
      (summary) =>
        summary.skipped
          ? 'already there'
          : Object.entries(summary.counts)
              .map(([k, n]) => `${n} ${k}`)
              .join(', '),
    );

    // PGBOUNCER=true: the API's requests go through PgBouncer (transaction
    // mode); its relay keeps a direct session (lock, LISTEN).
    let apiDatabaseUrl = databaseUrl;
    if (env.PGBOUNCER) {
      apiDatabaseUrl = await progress.step(
        `PgBouncer :${env.PGBOUNCER_PORT}`,
        async () => {
          const bouncer = await startLocalPgBouncer({
            path: options.processEnv.PATH ?? '',
            logDir,
            env: childEnv,
            databaseUrl,
            port: env.PGBOUNCER_PORT,
          });
          extras.push(bouncer.child);
          void bouncer.child.exited.then(() => {
            if (!stopping) reportFailure(`PgBouncer exited:\n${tailOf(bouncer.child.logFile)}`);
          });
          return bouncer.url;
        },
        () => 'transaction mode for the API; the relay stays on PostgreSQL',
      );
    }

    if (childEnv.NODE_ENV === 'production') {
      progress.line(
        '    NODE_ENV=production ignored: this is the local development cluster (dev logins); deploy with docker compose (docs/operations.md)',
      );
    }
    const shared = {
      ...childEnv,
      // The apps refuse AUTH_MODE=dev in production, and dev logins are the point here.
      NODE_ENV: childEnv.NODE_ENV === 'test' ? 'test' : 'development',
      ...redisEnv,
      AUTH_JWT_SECRET: secrets.authJwtSecret,
      ALLOWED_ORIGINS: origins,
      LOG_LEVEL: env.CHILD_LOG_LEVEL,
      ...prefix,
    };

    if (env.MONITORING) {
      // Before the API, which reads its alerts for the Operator page.
      monitoring = await progress.step(
        `Prometheus :${env.PROMETHEUS_PORT}, Alertmanager :${env.ALERTMANAGER_PORT}`,
        async () => {
          const started = await startMonitoring({
            path: options.processEnv.PATH ?? '',
            dataDir,
            logDir,
            repoRoot,
            env: childEnv,
            apiPort: env.API_PORT,
            prometheusPort: env.PROMETHEUS_PORT,
            alertmanagerPort: env.ALERTMANAGER_PORT,
            gateways: Array.from({ length: options.replicas }, (_, i) =>
              gatewayTarget(env.GATEWAY_BASE_PORT, i),
            ),
          });
          extras.push(...started.children);
          return started;
        },
        () => 'infra/prometheus rules; alerts stay in Alertmanager',
      );
    }

    await progress.step(`API :${env.API_PORT}`, async () => {
      const child = startChild({
        name: 'api',
        command: process.execPath,
        args: [apiEntry],
        cwd: join(repoRoot, 'apps/api'),
        env: {
          ...shared,
          PORT: String(env.API_PORT),
          HOST: '127.0.0.1',
          DATABASE_URL: apiDatabaseUrl,
          ...(env.PGBOUNCER ? { RELAY_DATABASE_URL: databaseUrl } : {}),
          AUTH_MODE: 'dev',
          // Only the front door (on this machine) talks to it.
          TRUST_PROXY: 'true',
          ...(monitoring ? { PROMETHEUS_URL: monitoring.prometheusUrl } : {}),
        },
        logFile: join(logDir, 'api.log'),
      });
      api = child;
      try {
        await waitForHttp(`http://127.0.0.1:${env.API_PORT}/ready`, {
          abort: child.exited,
          what: 'the API',
          timeoutMs: 60_000,
        });
      } catch (err) {
        throw new Error(`${(err as Error).message}\n${tailOf(child.logFile)}`);
      }
      void child.exited.then(({ code, signal }) => {
        if (!stopping) {
          reportFailure(
            `the API exited (code ${code}, signal ${signal}):\n${tailOf(child.logFile)}`,
          );
        }
      });
    });

    gatewayEnv = { ...shared, PUBLISH_TOKEN: secrets.publishToken };
    await progress.step(
      `${options.replicas} gateway replicas :${env.GATEWAY_BASE_PORT}-${env.GATEWAY_BASE_PORT + options.replicas - 1}`,
      () => fleet.scale(options.replicas),
    );

    web = await progress.step(
      'web',
      () =>
        startWebServer({
          port: env.WEB_PORT,
          webDist: join(repoRoot, 'apps/web/dist'),
          statusPage: () => statusPage(demoUsers),
        }),
      () =>
        hasWebBuild(join(repoRoot, 'apps/web/dist'))
          ? 'apps/web/dist'
          : 'status page (apps/web is not built)',
    );

    frontDoor = await progress.step(
      `front door :${env.FRONT_DOOR_PORT}`,
      () => {
        const api = { host: '127.0.0.1', port: env.API_PORT };
        const webTarget = { host: '127.0.0.1', port: env.WEB_PORT };
        if (haproxyBinary) {
          return startHaproxy({
            binary: haproxyBinary,
            dataDir,
            logDir,
            env: childEnv,
            config: {
              frontDoorPort: env.FRONT_DOOR_PORT,
              bindHost: env.FRONT_DOOR_HOST,
              api,
              web: webTarget,
              gateways: fleet.targets(),
              statsPort: env.HAPROXY_STATS_PORT,
            },
          });
        }
        return startNodeFrontDoor({
          port: env.FRONT_DOOR_PORT,
          host: env.FRONT_DOOR_HOST,
          api,
          web: webTarget,
          gateways: fleet.targets(),
        });
      },
      (door) =>
        door.kind === 'haproxy'
          ? `HAProxy (${haproxyBinary})`
          : `Node proxy${options.frontDoor === 'node' ? '' : ' (haproxy is not on PATH)'}`,
    );
    fleet.attach(frontDoor);

    control = await startControlServer({
      port: env.CONTROL_PORT,
      token: controlToken,
      handlers: {
        scale: async (n) => {
          const count = await fleet.scale(n);
          monitoring?.setGateways(fleet.targets());
          return count;
        },
        restart: async () => {
          const replaced = await fleet.restart((r) => {
            monitoring?.setGateways(fleet.targets());
            progress.line(
              `restart: ${r.from} replaced by ${r.to} (up in ${r.startedMs} ms, drained in ${r.drainedMs} ms)`,
            );
          });
          return replaced;
        },
        ...(embedded && {
          backup: async () => {
            const pg = embedded as EmbeddedPostgresHandle;
            const info = await takeBaseBackup({
              url: pg.url,
              clusterDir: pg.clusterDir,
              layout: pg.backups,
              retention: env.BACKUP_RETENTION,
            });
            return { ...info, directory: pg.backups.root, metrics: pg.backups.metrics };
          },
        }),
        status: () => ({
          frontDoor: frontDoorUrl,
          frontDoorKind: frontDoor?.kind,
          replicas: fleet.count(),
          gateways: fleet.children().map((c, i) => ({
            name: c.name,
            pid: c.pid,
            url: `http://127.0.0.1:${fleet.targets()[i]?.port}`,
          })),
          api: api ? { pid: api.pid, url: `http://127.0.0.1:${env.API_PORT}` } : undefined,
          postgres: postgres ? { pid: postgres.pid } : 'external (DATABASE_URL)',
          logs: logDir,
        }),
      },
    });
    saveState();
  } catch (err) {
    await stop().catch(() => {});
    throw err;
  }

  printSummary(options, frontDoorUrl, logDir, frontDoor?.kind === 'haproxy', monitoring);
  return { stop, kill, failed };
}

function printSummary(
  options: LaunchOptions,
  url: string,
  logDir: string,
  haproxy: boolean,
  monitoring: Monitoring | undefined,
) {
  const { progress, settings } = options;
  const { env } = settings;
  const byRole = new Map<string, string[]>();
  for (const u of demoUsers) byRole.set(u.role, [...(byRole.get(u.role) ?? []), u.id]);
  progress.line('');
  progress.line(`Dynapharm Realtime is up: ${url}`);
  progress.line(`  web console      ${url}/`);
  progress.line(
    `  REST API         ${url}/api   (OpenAPI: ${url}/api/openapi.json, health: ${url}/api/health)`,
  );
  progress.line(`  Socket.IO        ${url}  path /ws  (sticky by the SERVERID cookie)`);
  progress.line(`  gateway stats    ${url}${GATEWAY_STATS_PATH}   (page: ${url}${STATUS_PATH})`);
  if (haproxy && env.HAPROXY_STATS_PORT > 0) {
    progress.line(`  HAProxy stats    http://127.0.0.1:${env.HAPROXY_STATS_PORT}/`);
  }
  if (monitoring) {
    progress.line(`  Prometheus       ${monitoring.prometheusUrl}/   (alerts: /alerts)`);
    progress.line(`  Alertmanager     ${monitoring.alertmanagerUrl}/`);
  }
  progress.line(`  logs             ${logDir}/`);
  progress.line('');
  if (isLoopback(env.FRONT_DOOR_HOST)) {
    progress.line(
      `Listening on ${env.FRONT_DOOR_HOST} only (loopback): the front door and every service are unreachable from other machines.`,
    );
  } else {
    progress.line(
      `! The front door listens on ${env.FRONT_DOOR_HOST} (FRONT_DOOR_HOST): anyone who reaches it can log in as admin without a password.`,
    );
    progress.line('  The other services listen on 127.0.0.1 only.');
  }
  progress.line(
    `Secrets: generated for this machine (${join(settings.dataDir, 'secrets.json')}); auth: AUTH_MODE=dev.`,
  );
  progress.line('');
  progress.line('Demo logins (no password): POST /api/auth/dev-login {"userId": "<id>"}');
  for (const [role, ids] of byRole) progress.line(`  ${role.padEnd(8)} ${ids.join(', ')}`);
  progress.line(
    `  e.g. curl -s -X POST ${url}/api/auth/dev-login -H 'content-type: application/json' -d '{"userId":"admin"}'`,
  );
  progress.line('');
  progress.line('Scale the gateways: pnpm cluster:scale <1-20>   ·   status: pnpm cluster:status');
  progress.line('Replace them one by one (rolling restart, no loss): pnpm cluster:restart');
  progress.line('Stop: Ctrl-C (gateways drain, PostgreSQL shuts down; nothing keeps running)');
}
