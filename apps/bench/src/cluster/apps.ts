import { fileURLToPath } from 'node:url';
import { freePort } from '../infra/ports.ts';
import { benchMetricsToken } from '../infra/proc-stats.ts';
import { type AppProcess, spawnApp } from '../infra/processes.ts';

const script = (relative: string) => fileURLToPath(new URL(relative, import.meta.url));

/** Built entry points, relative to `apps/bench/dist/cluster/`. */
export const entryPoints = {
  api: script('../../../api/dist/main.js'),
  gateway: script('../../../gateway/dist/main.js'),
  socketioBaseline: script('../baselines/socketio-server.js'),
  rawWsBaseline: script('../baselines/raw-ws-server.js'),
  bareHttpBaseline: script('../baselines/bare-http-server.js'),
};

export interface ClusterSettings {
  databaseUrl: string;
  redisUrl: string;
  keyPrefix: string;
  jwtSecret: string;
  publishToken: string;
  logDir: string;
  /** Directory for `--cpu-prof` output; unset = no profiling. */
  profileDir?: string;
}

const profileArgs = (dir: string | undefined, name: string) =>
  dir ? ['--cpu-prof', '--cpu-prof-dir', dir, '--cpu-prof-name', `${name}.cpuprofile`] : [];

/** The API with its relay on, logging warnings only (request logs would be measured too). */
export async function startApi(settings: ClusterSettings, poolMax: number): Promise<AppProcess> {
  const port = await freePort();
  return spawnApp({
    name: 'api',
    script: entryPoints.api,
    port,
    readyPath: '/ready',
    logDir: settings.logDir,
    nodeArgs: profileArgs(settings.profileDir, 'api'),
    env: {
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_URL: settings.databaseUrl,
      DATABASE_POOL_MAX: String(poolMax),
      REDIS_URL: settings.redisUrl,
      REDIS_KEY_PREFIX: settings.keyPrefix,
      AUTH_JWT_SECRET: settings.jwtSecret,
      AUTH_MODE: 'jwt',
      LOG_LEVEL: 'warn',
      WRITE_RATE_LIMIT_PER_MINUTE: '100000000',
      READ_RATE_LIMIT_PER_MINUTE: '100000000',
      RELAY_ENABLED: 'true',
    },
  });
}

export async function startGateways(settings: ClusterSettings, count: number) {
  const gateways: AppProcess[] = [];
  for (let i = 0; i < count; i++) {
    const port = await freePort();
    gateways.push(
      await spawnApp({
        name: `gateway-${i + 1}`,
        script: entryPoints.gateway,
        port,
        readyPath: '/health',
        logDir: settings.logDir,
        nodeArgs: profileArgs(i === 0 ? settings.profileDir : undefined, 'gateway-1'),
        env: {
          PORT: String(port),
          HOST: '127.0.0.1',
          REPLICA_ID: `bench-gateway-${i + 1}`,
          REDIS_URL: settings.redisUrl,
          REDIS_KEY_PREFIX: settings.keyPrefix,
          AUTH_JWT_SECRET: settings.jwtSecret,
          PUBLISH_TOKEN: settings.publishToken,
          METRICS_TOKEN: benchMetricsToken,
          LOG_LEVEL: 'warn',
        },
      }),
    );
  }
  return gateways;
}

/** Three (or `count`) replicas of a baseline server. */
export async function startBaselineServers(
  kind: 'socketio' | 'raw',
  settings: ClusterSettings,
  count: number,
) {
  const servers: AppProcess[] = [];
  for (let i = 0; i < count; i++) {
    const port = await freePort();
    servers.push(
      await spawnApp({
        name: `${kind === 'socketio' ? 'socketio-redis' : 'raw-ws'}-${i + 1}`,
        script: kind === 'socketio' ? entryPoints.socketioBaseline : entryPoints.rawWsBaseline,
        port,
        readyPath: '/health',
        logDir: settings.logDir,
        env: {
          PORT: String(port),
          REDIS_URL: settings.redisUrl,
          REDIS_KEY_PREFIX: settings.keyPrefix,
        },
      }),
    );
  }
  return servers;
}

/** Baseline (d), the bare Express + pg endpoint, with a pool of `poolMax` like the API's. */
export async function startBareHttpServer(
  settings: ClusterSettings,
  poolMax: number,
): Promise<AppProcess> {
  const port = await freePort();
  return spawnApp({
    name: 'bare-http',
    script: entryPoints.bareHttpBaseline,
    port,
    readyPath: '/health',
    logDir: settings.logDir,
    env: {
      PORT: String(port),
      DATABASE_URL: settings.databaseUrl,
      DATABASE_POOL_MAX: String(poolMax),
    },
  });
}
