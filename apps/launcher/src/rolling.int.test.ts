import { type ChildProcess, execFile, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import {
  createTestDatabase,
  eventually,
  freePort,
  freePortRange,
  type IsolatedDatabase,
  redisNamespace,
  stack,
} from '@dynapharm/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sleep } from './process/net.ts';
import { type RollingFigures, startRollingLoad } from './rolling/load.ts';
import type { LauncherState } from './state.ts';

const execFileAsync = promisify(execFile);
const appDir = fileURLToPath(new URL('..', import.meta.url));
const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));
const entry = join(appDir, 'dist/main.js');

const CONNECTIONS = 300;
const WRITES_PER_SEC = 10;
const DRAIN_SPREAD_MS = 6_000;

beforeAll(() => {
  // The launcher runs the built API and gateways, like `npm start` does.
  const built = spawnSync(
    join(repoRoot, 'node_modules/.bin/turbo'),
    ['run', 'build', '--filter=@dynapharm/launcher...', '--output-logs=errors-only'],
    {
      cwd: repoRoot,
      encoding: 'utf8',
      timeout: 240_000,
      env: { ...process.env, TURBO_TELEMETRY_DISABLED: '1' },
    },
  );
  if (built.status !== 0) throw new Error(`build failed:\n${built.stdout}\n${built.stderr}`);
}, 250_000);

describe('rolling restart of the local cluster under load', () => {
  let database: IsolatedDatabase;
  let launcher: ChildProcess;
  let output = '';
  let dataDir: string;
  let base: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    dataDir = mkdtempSync(join(tmpdir(), 'launcher-rolling-'));
    const ports = {
      FRONT_DOOR_PORT: await freePort(),
      API_PORT: await freePort(),
      CONTROL_PORT: await freePort(),
      WEB_PORT: await freePort(),
      HAPROXY_STATS_PORT: 0,
      GATEWAY_BASE_PORT: await freePortRange(8),
    };
    base = `http://127.0.0.1:${ports.FRONT_DOOR_PORT}`;
    launcher = spawn(process.execPath, [entry], {
      env: {
        ...process.env,
        ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])),
        LAUNCHER_DATA_DIR: dataDir,
        DATABASE_URL: database.url,
        REDIS_URL: stack().redisUrl,
        REDIS_KEY_PREFIX: redisNamespace('rolling').slice(0, -1),
        GATEWAY_REPLICAS: '3',
        DRAIN_TIMEOUT_MS: '12000',
        DRAIN_SPREAD_MS: String(DRAIN_SPREAD_MS),
        // Every client catches up through the API after it moves.
        READ_RATE_LIMIT_PER_MINUTE: '1000000',
        WRITE_RATE_LIMIT_PER_MINUTE: '1000000',
        CHILD_LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    for (const stream of [launcher.stdout, launcher.stderr]) {
      stream?.on('data', (chunk) => {
        output += String(chunk);
      });
    }
    await eventually(
      async () => {
        if (launcher.exitCode !== null) throw new Error(`launcher exited:\n${output}`);
        return output;
      },
      (text) => text.includes('Dynapharm Realtime is up'),
      90_000,
    ).catch((err: Error) => {
      throw new Error(`${err.message}\n--- launcher output ---\n${output}`);
    });
  }, 120_000);

  afterAll(async () => {
    if (launcher && launcher.exitCode === null && launcher.signalCode === null) {
      const exited = new Promise((resolve) => launcher.once('exit', resolve));
      launcher.kill('SIGINT');
      await Promise.race([exited, sleep(30_000)]);
    }
    await database?.drop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  }, 60_000);

  it('answers a bad restart request with a 4xx naming the problem, and restarts nothing', async () => {
    const state = JSON.parse(readFileSync(join(dataDir, 'launcher.json'), 'utf8')) as LauncherState;
    const restart = (headers: Record<string, string>, body?: string) =>
      fetch(`http://127.0.0.1:${state.controlPort}/restart`, { method: 'POST', headers, body });
    const auth = { authorization: `Bearer ${state.controlToken}` };
    const json = { ...auth, 'content-type': 'application/json' };
    const answers = [
      await restart({ 'content-type': 'application/json' }, '{}'),
      await restart({ authorization: 'Bearer wrong', 'content-type': 'application/json' }, '{}'),
      await restart(auth, '{}'),
      await restart(json, '{"replicas": 2}'),
      await restart(json, 'not json'),
    ];
    const got = await Promise.all(
      answers.map(async (res) => [res.status, ((await res.json()) as { error: string }).error]),
    );
    expect(got).toEqual([
      [401, 'missing or wrong control token'],
      [401, 'missing or wrong control token'],
      [415, 'send application/json'],
      [400, 'the body must be an empty JSON object {}'],
      [400, 'the body must be an empty JSON object {}'],
    ]);
    const status = await execFileAsync(process.execPath, [entry, 'status'], {
      env: { ...process.env, LAUNCHER_DATA_DIR: dataDir },
    });
    const names = (JSON.parse(status.stdout) as { gateways: { name: string }[] }).gateways.map(
      (g) => g.name,
    );
    expect(names).toEqual(['gw-1', 'gw-2', 'gw-3']);
    const usage = await execFileAsync(process.execPath, [entry, 'restart', 'gw-1'], {
      env: { ...process.env, LAUNCHER_DATA_DIR: dataDir },
    }).catch((err: { code: number; stderr: string }) => err);
    expect(usage).toMatchObject({ code: 2 });
    expect((usage as { stderr: string }).stderr).toContain('restart takes no arguments');
  });

  it('replaces every gateway one by one while writes flow: nothing lost, reconnects spread', async () => {
    const load = await startRollingLoad({
      url: base,
      connections: CONNECTIONS,
      writesPerSec: WRITES_PER_SEC,
    });
    let figures: RollingFigures;
    let restarted: { stdout: string };
    try {
      await sleep(4_000);
      const before = load.snapshotGateways();
      expect(Object.keys(before).sort()).toEqual(['gw-1', 'gw-2', 'gw-3']);
      load.mark('during');
      restarted = await execFileAsync(process.execPath, [entry, 'restart'], {
        env: { ...process.env, LAUNCHER_DATA_DIR: dataDir },
        timeout: 120_000,
      });
      load.mark('after');
      await sleep(3_000);
      await load.stopWriting();
      figures = await load.check(database.url);
    } finally {
      load.close();
    }
    console.log(`[rolling] ${JSON.stringify(figures)}`);
    console.log(`[rolling] ${restarted.stdout.trim().replaceAll('\n', ' | ')}`);

    // The launcher started a replacement for each, then drained the old one.
    expect(restarted.stdout).toContain('3 gateway replicas replaced');
    const status = await execFileAsync(process.execPath, [entry, 'status'], {
      env: { ...process.env, LAUNCHER_DATA_DIR: dataDir },
    });
    const names = (JSON.parse(status.stdout) as { gateways: { name: string }[] }).gateways.map(
      (g) => g.name,
    );
    expect(names).toHaveLength(3);
    expect(names).not.toEqual(['gw-1', 'gw-2', 'gw-3']);

    // Writes flowed throughout, and every client holds exactly its room's changes.
    expect(figures.writes.failed).toBe(0);
    expect(figures.writes.sent).toBeGreaterThan(WRITES_PER_SEC * 10);
    expect(figures.latency.during.count).toBeGreaterThan(0);
    expect(figures.check).toMatchObject({
      lost: 0,
      duplicates: 0,
      foreign: 0,
      clientsComplete: CONNECTIONS,
    });
    expect(figures.check.expectedChanges).toBeGreaterThan(0);

    // Every client sat on an old gateway, so each moved at least once; the
    // drain spread them: no second saw more than half of one gateway's clients.
    expect(figures.reconnects.total).toBeGreaterThanOrEqual(CONNECTIONS);
    const perGateway = Math.min(...Object.values(figures.clientsPerGateway));
    expect(perGateway).toBeGreaterThan(CONNECTIONS / 6);
    expect(figures.reconnects.peakPerSec).toBeLessThanOrEqual(perGateway / 2);
  }, 240_000);
});
