import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RealtimeClient } from '@dynapharm/realtime-client';
import {
  createTestDatabase,
  eventually,
  freePort,
  freePortRange,
  type IsolatedDatabase,
  startRedisCluster,
  type TestRedisCluster,
} from '@dynapharm/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sleep } from './process/net.ts';

// `npm start` against an operator's Redis Cluster: REDIS_CLUSTER_NODES (and
// REDIS_ADAPTER=sharded) reach the API and the gateways, the launcher starts
// no Redis of its own, and changes go through the cluster to the clients.

const appDir = fileURLToPath(new URL('..', import.meta.url));
const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));
const entry = join(appDir, 'dist/main.js');

describe('the local cluster on a Redis Cluster', () => {
  let redis: TestRedisCluster;
  let database: IsolatedDatabase;
  let launcher: ChildProcess;
  let output = '';
  let dataDir: string;
  let base: string;
  const exited = () =>
    new Promise<number | null>((resolve) => {
      if (launcher.exitCode !== null || launcher.signalCode !== null) resolve(launcher.exitCode);
      else launcher.once('exit', (code) => resolve(code));
    });

  beforeAll(async () => {
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
    [redis, database] = await Promise.all([startRedisCluster(), createTestDatabase()]);
    dataDir = mkdtempSync(join(tmpdir(), 'launcher-cluster-'));
    const ports = {
      FRONT_DOOR_PORT: await freePort(),
      API_PORT: await freePort(),
      CONTROL_PORT: await freePort(),
      WEB_PORT: await freePort(),
      HAPROXY_STATS_PORT: await freePort(),
      GATEWAY_BASE_PORT: await freePortRange(6),
    };
    base = `http://127.0.0.1:${ports.FRONT_DOOR_PORT}`;
    const { REDIS_URL: _ignored, ...inherited } = process.env;
    launcher = spawn(process.execPath, [entry, '--front-door', 'node'], {
      env: {
        ...inherited,
        ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])),
        LAUNCHER_DATA_DIR: dataDir,
        DATABASE_URL: database.url,
        REDIS_CLUSTER_NODES: redis.nodesEnv,
        REDIS_ADAPTER: 'sharded',
        REDIS_KEY_PREFIX: `launcher-cluster-${process.pid}`,
        GATEWAY_REPLICAS: '2',
        DRAIN_TIMEOUT_MS: '3000',
        DRAIN_SPREAD_MS: '500',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    launcher.stdout?.on('data', (chunk) => {
      output += String(chunk);
    });
    launcher.stderr?.on('data', (chunk) => {
      output += String(chunk);
    });
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
  }, 360_000);

  afterAll(async () => {
    if (launcher && launcher.exitCode === null && launcher.signalCode === null) {
      launcher.kill('SIGINT');
      await Promise.race([exited(), sleep(30_000)]);
    }
    await database?.drop();
    await redis?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  }, 60_000);

  it('passes the cluster to the apps instead of starting a Redis', async () => {
    expect(output).toContain(`Redis Cluster — ${redis.nodesEnv} (REDIS_CLUSTER_NODES)`);
    expect(output).not.toContain('started redis-server');
    const ready = await fetch(`${base}/api/ready`);
    expect(await ready.json()).toMatchObject({ status: 'ready', redis: 'ok' });
    const stats = await eventually(
      async () =>
        (await (await fetch(`${base}/ws-stats`)).json()) as { replicas: { replicaId: string }[] },
      (s) => s.replicas.length === 2,
    );
    expect(stats.replicas.map((r) => r.replicaId)).toEqual(['gw-1', 'gw-2']);
  });

  it('delivers a change written through the API to a client through the cluster', async () => {
    const login = await fetch(`${base}/api/auth/dev-login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ userId: 'admin' }),
    });
    const { token } = (await login.json()) as { token: string };
    const rt = new RealtimeClient({
      wsUrl: base,
      apiUrl: base,
      token,
      transports: ['websocket'],
      catchUpIntervalMs: 0,
    });
    try {
      const seen: string[] = [];
      rt.on('*', (data) => {
        const name = (data as { fullName?: string }).fullName;
        if (name) seen.push(name);
      });
      await rt.connect();
      await rt.subscribe(['clients']);
      const branches = (await (
        await fetch(`${base}/api/branches?limit=1`, {
          headers: { authorization: `Bearer ${token}` },
        })
      ).json()) as { items: { id: string }[] };
      const branchId = branches.items[0]?.id;
      const created = await fetch(`${base}/api/clients`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ branchId, fullName: 'Through the cluster' }),
      });
      expect(created.status).toBe(201);
      await eventually(
        async () => seen,
        (names) => names.includes('Through the cluster'),
      );
    } finally {
      rt.disconnect();
    }
  });
});
