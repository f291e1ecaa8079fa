import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const exec = promisify(execFile);

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '../../..');

/** The compose project of this suite: the root docker-compose.yml under its own name and port. */
export interface Stack {
  /** `http://127.0.0.1:<FRONT_DOOR_PORT>`. */
  frontDoor: string;
  /** Prometheus's UI and API, `http://127.0.0.1:<PROMETHEUS_PORT>`. */
  prometheus: string;
  /** The `docker compose` / `docker-compose` command line in use. */
  command: string;
  /** Runs `<compose> -p <project> <args>` with the stack's environment; rejects on failure. */
  compose(args: string[], timeoutMs?: number): Promise<string>;
  /**
   * Runs a command (e.g. a script under scripts/) with the stack's environment
   * and `COMPOSE` set to this project's compose command line; resolves with its
   * stdout, rejects on failure.
   */
  run(command: string, args: string[], timeoutMs?: number): Promise<string>;
  /** Container ids of a service's running containers. */
  containers(service: string): Promise<string[]>;
  /** The last lines of every service's log (for failure reports). */
  logs(tail?: number): Promise<string>;
  /** `down -v --remove-orphans`; never throws. */
  down(): Promise<void>;
  /**
   * `config` as an operator gets it with only `secrets` set: no `.env`, none
   * of this suite's settings. Rejects when compose refuses.
   */
  defaultConfig(secrets: Record<string, string>): Promise<string>;
}

export interface StackOptions {
  project: string;
  frontDoorPort: number;
  gateways: number;
  /** Host ports of Prometheus and Alertmanager (127.0.0.1). */
  prometheusPort: number;
  alertmanagerPort: number;
}

async function answers(cmd: string, args: string[]) {
  try {
    await exec(cmd, args, { timeout: 15_000 });
    return true;
  } catch {
    return false;
  }
}

/**
 * Finds a compose implementation and a Docker engine, or throws a message
 * saying which is missing. Compose v2 (`docker compose`) is preferred; Debian's
 * `docker-compose` 1.29 (what CI installs) works too.
 */
export async function findCompose(): Promise<[string, string[]]> {
  if (!(await answers('docker', ['info']))) {
    throw new Error(
      'no Docker engine answers `docker info`. Provision one first: ' +
        'eval "$(sudo bash infra/ci/provision-docker.sh --env)"',
    );
  }
  if (await answers('docker', ['compose', 'version'])) return ['docker', ['compose']];
  if (await answers('docker-compose', ['version'])) return ['docker-compose', []];
  throw new Error(
    'neither `docker compose` (v2 plugin) nor `docker-compose` (v1) is installed; ' +
      'infra/ci/provision-docker.sh installs Debian’s docker-compose',
  );
}

/**
 * The environment compose sees: fresh secrets per run (compose refuses to
 * start without them), the front door on a port of its own on 127.0.0.1 (so a
 * local launcher on :8080 is not disturbed), and the stand-in images from the
 * environment when CI set them. The suite logs in as the demo admin, so it
 * opts into demo mode explicitly: dev logins and demo data, which the apps
 * allow only outside NODE_ENV=production (compose's default). Everything the
 * root `.env` could set is pinned here, so a developer's `.env` does not
 * change what is tested.
 */
function stackEnv(opts: StackOptions): NodeJS.ProcessEnv {
  const secret = (n: number) => randomBytes(n).toString('base64url');
  const origin = `http://localhost:${opts.frontDoorPort}`;
  return {
    ...process.env,
    POSTGRES_USER: 'dynapharm',
    POSTGRES_DB: 'dynapharm',
    POSTGRES_PASSWORD: secret(18),
    AUTH_JWT_SECRET: secret(36),
    PUBLISH_TOKEN: secret(24),
    METRICS_TOKEN: secret(24),
    NODE_ENV: 'development',
    AUTH_MODE: 'dev',
    DB_SEED: 'true',
    AUTH_JWKS_URL: '',
    AUTH_JWT_ISSUER: '',
    AUTH_JWT_AUDIENCE: '',
    FRONT_DOOR_BIND: '127.0.0.1',
    ALLOWED_ORIGINS: `${origin},http://127.0.0.1:${opts.frontDoorPort}`,
    FRONT_DOOR_PORT: String(opts.frontDoorPort),
    PROMETHEUS_BIND: '127.0.0.1',
    PROMETHEUS_PORT: String(opts.prometheusPort),
    PROMETHEUS_RETENTION: '1d',
    ALERTMANAGER_BIND: '127.0.0.1',
    ALERTMANAGER_PORT: String(opts.alertmanagerPort),
    ALERTMANAGER_CONFIG: join(repoRoot, 'infra/alertmanager/alertmanager.yml'),
    PROMETHEUS_URL: '',
    GATEWAY_REPLICAS: String(opts.gateways),
    HAPROXY_CONFIG: join(repoRoot, 'infra/haproxy/haproxy.cfg'),
    PGBOUNCER_POOL_SIZE: '20',
    REDIS_KEY_PREFIX: 'socket.io',
    LOG_LEVEL: 'info',
    // The suite writes a few hundred rows a minute from one address.
    WRITE_RATE_LIMIT_PER_MINUTE: '100000',
  };
}

export async function createStack(opts: StackOptions): Promise<Stack> {
  const [cmd, prefix] = await findCompose();
  if (!existsSync(join(repoRoot, 'infra/haproxy/haproxy.cfg'))) {
    throw new Error('infra/haproxy/haproxy.cfg is missing');
  }
  const env = stackEnv(opts);
  const base = [...prefix, '-f', join(repoRoot, 'docker-compose.yml'), '-p', opts.project];

  const compose = async (args: string[], timeoutMs = 120_000) => {
    try {
      const { stdout } = await exec(cmd, [...base, ...args], {
        cwd: repoRoot,
        env,
        timeout: timeoutMs,
        maxBuffer: 64 * 1024 * 1024,
      });
      return stdout;
    } catch (err) {
      const e = err as Error & { stderr?: string; stdout?: string };
      // execFile's message already holds the command and its stderr.
      throw new Error(`${e.message}${e.stdout ? `\nstdout:\n${e.stdout}` : ''}`);
    }
  };

  const run = async (command: string, args: string[], timeoutMs = 300_000) => {
    try {
      const { stdout } = await exec(command, args, {
        cwd: repoRoot,
        env: { ...env, COMPOSE: [cmd, ...base].join(' ') },
        timeout: timeoutMs,
        maxBuffer: 64 * 1024 * 1024,
      });
      return stdout;
    } catch (err) {
      const e = err as Error & { stdout?: string };
      throw new Error(`${e.message}${e.stdout ? `\nstdout:\n${e.stdout}` : ''}`);
    }
  };

  return {
    frontDoor: `http://127.0.0.1:${opts.frontDoorPort}`,
    prometheus: `http://127.0.0.1:${opts.prometheusPort}`,
    command: [cmd, ...prefix].join(' '),
    compose,
    run,
    async containers(service) {
      const out = await compose(['ps', '-q', service]);
      return out.split('\n').filter(Boolean);
    },
    async logs(tail = 40) {
      try {
        return await compose(['logs', '--no-color', `--tail=${tail}`], 30_000);
      } catch (err) {
        return `(logs unavailable: ${(err as Error).message})`;
      }
    },
    async defaultConfig(secrets) {
      const empty = join(mkdtempSync(join(tmpdir(), 'compose-env-')), 'empty.env');
      writeFileSync(empty, '');
      const clean: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME };
      for (const name of [
        'DOCKER_HOST',
        'DOCKER_CONFIG',
        'DOCKER_CERT_PATH',
        'DOCKER_TLS_VERIFY',
      ]) {
        if (process.env[name]) clean[name] = process.env[name];
      }
      try {
        const { stdout } = await exec(
          cmd,
          [...prefix, '--env-file', empty, '-f', join(repoRoot, 'docker-compose.yml'), 'config'],
          { cwd: repoRoot, env: { ...clean, ...secrets }, timeout: 60_000 },
        );
        return stdout;
      } catch (err) {
        const e = err as Error & { stderr?: string };
        throw new Error(`${e.message}\n${e.stderr ?? ''}`);
      }
    },
    async down() {
      try {
        await compose(['down', '-v', '--remove-orphans', '-t', '5'], 120_000);
      } catch (err) {
        console.error(`[compose] teardown failed: ${(err as Error).message}`);
      }
    },
  };
}

/** Polls `check` until it returns a value (not `undefined`) or time is up. */
export async function eventually<T>(
  check: () => T | undefined | Promise<T | undefined>,
  what: string,
  timeoutMs = 15_000,
  everyMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      const why = last instanceof Error ? ` (last error: ${last.message})` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${why}`);
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
