import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineEnv, EnvError, envFlag, envFragment } from '@dynapharm/types';
import { z } from 'zod';

export { EnvError };

/** Most gateways a local cluster runs; the compose file's `server-template` has as many slots. */
export const MAX_REPLICAS = 20;

const port = z.coerce.number().int().min(1).max(65535);
const optionalPort = z.coerce.number().int().min(0).max(65535);

const launcherOwn = envFragment(
  {
    /** Front door (HAProxy or the Node proxy): `/api`, `/ws`, `/`. */
    FRONT_DOOR_PORT: port.default(8080),
    /**
     * Bind address of the front door. Loopback by default: AUTH_MODE=dev lets
     * anyone who reaches it log in as any demo user, admin included.
     */
    FRONT_DOOR_HOST: z.string().min(1).default('127.0.0.1'),
    /** `auto` uses HAProxy when `haproxy` is on PATH, else the Node proxy. */
    FRONT_DOOR: z.enum(['auto', 'haproxy', 'node']).default('auto'),
    API_PORT: port.default(3000),
    /** Gateway `i` (from 0) listens on `GATEWAY_BASE_PORT + i`. */
    GATEWAY_BASE_PORT: port.default(8081),
    GATEWAY_REPLICAS: z.coerce.number().int().min(1).max(MAX_REPLICAS).default(3),
    /** The launcher's control endpoint on 127.0.0.1 (`cluster:scale`, `cluster:status`). */
    CONTROL_PORT: port.default(8079),
    /** Web console (or the built-in status page) behind the front door's `/`. */
    WEB_PORT: port.default(8078),
    /** HAProxy's stats page; 0 turns it off. */
    HAPROXY_STATS_PORT: optionalPort.default(8404),
    /** PostgreSQL data, secrets, logs and the launcher's state file. */
    LAUNCHER_DATA_DIR: z.string().min(1).optional(),
    /** Base backups `pnpm backup` keeps (older ones and their WAL are deleted). */
    BACKUP_RETENTION: z.coerce.number().int().min(1).max(1000).default(7),
    /** Unset: an embedded PostgreSQL under `<data dir>/postgres`. */
    DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }).optional(),
    /** Unset: 127.0.0.1:6379 when it answers, else a `redis-server` from PATH. */
    REDIS_URL: z.url({ protocol: /^rediss?$/ }).optional(),
    /** Passed to API and gateways; a separate prefix keeps clusters sharing one Redis apart. */
    REDIS_KEY_PREFIX: z
      .string()
      .regex(/^[\w.:-]{1,100}$/, 'letters, digits, ".", ":", "_" or "-" (max 100)')
      .optional(),
    /**
     * Also run Debian's Prometheus and Alertmanager against the cluster, with
     * the rules of infra/prometheus (docs/operations.md). Off by default.
     */
    MONITORING: envFlag.default(false),
    /** Prometheus's UI and API on 127.0.0.1 (with MONITORING). */
    PROMETHEUS_PORT: port.default(9090),
    /** Alertmanager's UI and API on 127.0.0.1 (with MONITORING). */
    ALERTMANAGER_PORT: port.default(9093),
    /**
     * Put Debian's PgBouncer (transaction mode) between the API's requests and
     * PostgreSQL; the relay keeps a direct session (docs/operations.md). Off by default.
     */
    PGBOUNCER: envFlag.default(false),
    /** PgBouncer on 127.0.0.1 (with PGBOUNCER). */
    PGBOUNCER_PORT: port.default(6432),
    /** Log level of the API and gateways (their logs go to `<data dir>/logs`). */
    CHILD_LOG_LEVEL: z
      .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
      .default('info'),
  },
  (env, issue) => {
    const fixed: [string, number][] = [
      ['FRONT_DOOR_PORT', env.FRONT_DOOR_PORT],
      ['API_PORT', env.API_PORT],
      ['CONTROL_PORT', env.CONTROL_PORT],
      ['WEB_PORT', env.WEB_PORT],
    ];
    if (env.HAPROXY_STATS_PORT !== 0) fixed.push(['HAPROXY_STATS_PORT', env.HAPROXY_STATS_PORT]);
    if (env.MONITORING) {
      fixed.push(['PROMETHEUS_PORT', env.PROMETHEUS_PORT]);
      fixed.push(['ALERTMANAGER_PORT', env.ALERTMANAGER_PORT]);
    }
    if (env.PGBOUNCER) fixed.push(['PGBOUNCER_PORT', env.PGBOUNCER_PORT]);
    const gwFirst = env.GATEWAY_BASE_PORT;
    const gwLast = env.GATEWAY_BASE_PORT + MAX_REPLICAS - 1;
    if (gwLast > 65535) {
      issue(
        'GATEWAY_BASE_PORT',
        `needs ${MAX_REPLICAS} ports above it (at most ${65535 - MAX_REPLICAS + 1})`,
      );
    }
    const seen = new Map<number, string>();
    for (const [name, value] of fixed) {
      const other = seen.get(value);
      if (other) {
        issue(name, `same port as ${other} (${value})`);
      }
      seen.set(value, name);
      if (value >= gwFirst && value <= gwLast) {
        issue(name, `${value} falls in the gateway range ${gwFirst}-${gwLast} (GATEWAY_BASE_PORT)`);
      }
    }
  },
);

export const launcherEnv = defineEnv('the launcher', [launcherOwn]);

export type LauncherEnv = ReturnType<typeof launcherEnv.parse>;

/** Everything the launcher runs with, defaults applied and paths resolved. */
export interface LauncherSettings {
  env: LauncherEnv;
  /** Root of the pnpm workspace. */
  repoRoot: string;
  /** `LAUNCHER_DATA_DIR`, or `<repo>/.data`. */
  dataDir: string;
}

/** Finds the workspace root above this file (the folder with `pnpm-workspace.yaml`). */
export function findRepoRoot(from = dirname(fileURLToPath(import.meta.url))): string {
  let dir = from;
  for (;;) {
    if (existsSync(join(dir, 'pnpm-workspace.yaml'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no pnpm-workspace.yaml above ${from}`);
    dir = parent;
  }
}

/**
 * Reads the launcher's settings from the environment (the only place of the
 * launcher that reads `process.env`). Empty variables count as unset.
 */
export function loadSettings(source: NodeJS.ProcessEnv = process.env): LauncherSettings {
  const env = launcherEnv.parse(source);
  const repoRoot = findRepoRoot();
  const dataDir = resolve(env.LAUNCHER_DATA_DIR ?? join(repoRoot, '.data'));
  return { env, repoRoot, dataDir };
}

/** The environment the launcher passes to its children, on top of its own. */
export function inheritedEnv(source: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  // The launcher's own knobs mean nothing to the apps; PORT and friends are set per child.
  const own = new Set([...Object.keys(launcherOwn.shape), 'PORT', 'HOST']);
  return Object.fromEntries(Object.entries(source).filter(([k]) => !own.has(k)));
}

/** Whether `host` only accepts connections from this machine. */
export function isLoopback(host: string): boolean {
  return ['localhost', '::1', '[::1]'].includes(host) || /^127\.\d+\.\d+\.\d+$/.test(host);
}
