import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  createTestDatabase,
  freePort,
  freePortRange,
  type IsolatedDatabase,
  isPortOpen,
  redisNamespace,
  stack,
} from '@dynapharm/testkit';

export const repoRoot = fileURLToPath(new URL('../../../..', import.meta.url));
const entry = join(repoRoot, 'apps/launcher/dist/main.js');

/** A local cluster started by `node apps/launcher/dist/main.js` for one test file. */
export interface RunningCluster {
  /** The front door, e.g. `http://127.0.0.1:41234`. */
  baseUrl: string;
  /** The test's own database (a clone of the migrated template), seeded by the launcher. */
  databaseUrl: string;
  /** Everything the launcher printed so far, for failure messages. */
  output(): string;
  /** SIGINT, then waits for the launcher and every process it started to be gone. */
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Builds what the launcher runs (the API, the gateways, the launcher, the web
 * console). Under `turbo run test:int` the package's `dependsOn: ["^build"]`
 * already did it and this is a cache hit; it matters when the test is run
 * directly (`pnpm test:int` in this folder).
 */
export function buildCluster(): void {
  const turbo = join(repoRoot, 'node_modules/.bin/turbo');
  const built = spawnSync(
    turbo,
    [
      'run',
      'build',
      '--filter=@dynapharm/launcher...',
      '--filter=@dynapharm/web',
      '--output-logs=errors-only',
    ],
    { cwd: repoRoot, encoding: 'utf8', timeout: 280_000 },
  );
  if (built.status !== 0) throw new Error(`build failed:\n${built.stdout}\n${built.stderr}`);
  for (const file of [
    'apps/launcher/dist/main.js',
    'apps/web/dist/index.html',
    'apps/web/dist/sw.js',
  ]) {
    if (!existsSync(join(repoRoot, file))) throw new Error(`${file} is missing after the build`);
  }
}

/**
 * Starts the launcher on free ports with a temporary data dir, against the int
 * stack's Redis and a fresh database of its own, and waits until it says it is up.
 */
export async function startCluster(
  /** Extra environment for the launcher and the apps it starts (e.g. `PROMETHEUS_URL`). */
  extraEnv: Record<string, string> = {},
): Promise<RunningCluster> {
  const database: IsolatedDatabase = await createTestDatabase();
  const dataDir = mkdtempSync(join(tmpdir(), 'browser-int-'));
  const gatewayBase = await freePortRange(20);
  const ports = {
    FRONT_DOOR_PORT: await freePort(),
    API_PORT: await freePort(),
    CONTROL_PORT: await freePort(),
    WEB_PORT: await freePort(),
    GATEWAY_BASE_PORT: gatewayBase,
  };
  let output = '';
  const launcher: ChildProcess = spawn(process.execPath, [entry], {
    cwd: repoRoot,
    env: {
      ...process.env,
      ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])),
      HAPROXY_STATS_PORT: '0',
      LAUNCHER_DATA_DIR: dataDir,
      DATABASE_URL: database.url,
      REDIS_URL: stack().redisUrl,
      // The gateways' replica registry must not see other suites' gateways.
      REDIS_KEY_PREFIX: redisNamespace('browser').slice(0, -1),
      GATEWAY_REPLICAS: '3',
      DRAIN_TIMEOUT_MS: '2000',
      DRAIN_SPREAD_MS: '300',
      CHILD_LOG_LEVEL: 'warn',
      ...extraEnv,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  launcher.stdout?.on('data', (chunk) => {
    output += String(chunk);
  });
  launcher.stderr?.on('data', (chunk) => {
    output += String(chunk);
  });
  const exited = new Promise<void>((resolve) => launcher.once('exit', () => resolve()));
  const running = () => launcher.exitCode === null && launcher.signalCode === null;

  const cleanUp = async () => {
    await database.drop().catch(() => undefined);
    rmSync(dataDir, { recursive: true, force: true });
  };

  const deadline = Date.now() + 90_000;
  while (!output.includes('Dynapharm Realtime is up')) {
    if (!running() || Date.now() > deadline) {
      if (running()) launcher.kill('SIGKILL');
      await cleanUp();
      throw new Error(`the launcher did not come up:\n${output}`);
    }
    await sleep(200);
  }
  // Every process it started, to check that SIGINT leaves none behind.
  const state = JSON.parse(readFileSync(join(dataDir, 'launcher.json'), 'utf8')) as {
    children: { name: string; pid: number }[];
  };

  return {
    baseUrl: `http://127.0.0.1:${ports.FRONT_DOOR_PORT}`,
    databaseUrl: database.url,
    output: () => output,
    async stop() {
      if (running()) {
        launcher.kill('SIGINT');
        await Promise.race([exited, sleep(30_000)]);
      }
      try {
        if (running()) throw new Error(`the launcher ignored SIGINT:\n${output}`);
        const left = state.children.filter((c) => isAlive(c.pid));
        const gateways = [0, 1, 2].map((i) => [`gateway ${i + 1}`, gatewayBase + i] as const);
        const listening: string[] = [];
        for (const [name, port] of [...Object.entries(ports), ...gateways]) {
          if (name !== 'GATEWAY_BASE_PORT' && (await isPortOpen(port))) listening.push(name);
        }
        if (left.length > 0 || listening.length > 0) {
          for (const c of left) process.kill(c.pid, 'SIGKILL');
          throw new Error(
            `the launcher left ${JSON.stringify(left)} running and ${listening.join(', ')} listening`,
          );
        }
      } finally {
        if (running()) launcher.kill('SIGKILL');
        await cleanUp();
      }
    },
  };
}
