import { type ChildProcess, execFile, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
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
import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findExecutable, isPortOpen, sleep } from './process/net.ts';
import { isAlive, type LauncherState } from './state.ts';

const execFileAsync = promisify(execFile);
const appDir = fileURLToPath(new URL('..', import.meta.url));
const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));
const entry = join(appDir, 'dist/main.js');

// The gateways' Admin UI: this password is published, so only a development cluster accepts it.
const adminUiPassword = 'admin-ui-suite-password-0123456789';
const adminUiPasswordHash = '$2b$04$4ZeNy1MSaqRMdi1WUE4RyeWseUIBhmQiAfgpBfgV12g6zbB5X9H1G';

interface ClusterStats {
  replicas: { replicaId: string }[];
  totals: { replicas: number };
}

beforeAll(() => {
  // The launcher runs the built API and gateways, like `npm start` does.
  const turbo = join(repoRoot, 'node_modules/.bin/turbo');
  const built = spawnSync(
    turbo,
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

const frontDoors: ('haproxy' | 'node')[] = findExecutable('haproxy', process.env.PATH ?? '')
  ? ['haproxy', 'node']
  : ['node'];

describe.each(frontDoors)('local cluster with the %s front door', (frontDoor) => {
  let database: IsolatedDatabase;
  let launcher: ChildProcess;
  let output = '';
  let dataDir: string;
  let base: string;
  let ports: Record<string, number>;
  let token: string;
  let gw = 0;
  const exited = () =>
    new Promise<number | null>((resolve) => {
      if (launcher.exitCode !== null || launcher.signalCode !== null) resolve(launcher.exitCode);
      else launcher.once('exit', (code) => resolve(code));
    });
  const scale = (n: number) =>
    execFileAsync(process.execPath, [entry, 'scale', String(n)], {
      env: { ...process.env, LAUNCHER_DATA_DIR: dataDir },
      timeout: 60_000,
    });
  const stats = async () => {
    const res = await fetch(`${base}/ws-stats`);
    return (await res.json()) as ClusterStats;
  };

  beforeAll(async () => {
    database = await createTestDatabase();
    dataDir = mkdtempSync(join(tmpdir(), 'launcher-int-'));
    const gatewayBase = await freePortRange(6);
    gw = gatewayBase;
    ports = {
      FRONT_DOOR_PORT: await freePort(),
      API_PORT: await freePort(),
      CONTROL_PORT: await freePort(),
      WEB_PORT: await freePort(),
      HAPROXY_STATS_PORT: await freePort(),
      GATEWAY_BASE_PORT: gatewayBase,
    };
    base = `http://127.0.0.1:${ports.FRONT_DOOR_PORT}`;
    launcher = spawn(process.execPath, [entry, '--front-door', frontDoor], {
      env: {
        ...process.env,
        ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])),
        LAUNCHER_DATA_DIR: dataDir,
        DATABASE_URL: database.url,
        REDIS_URL: stack().redisUrl,
        // A prefix of its own: the replica registry must not see other suites' gateways.
        REDIS_KEY_PREFIX: redisNamespace('launcher').slice(0, -1),
        GATEWAY_REPLICAS: '3',
        DRAIN_TIMEOUT_MS: '3000',
        DRAIN_SPREAD_MS: '500',
        ADMIN_UI_ENABLED: 'true',
        ADMIN_UI_PASSWORD_HASH: adminUiPasswordHash,
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
  }, 120_000);

  afterAll(async () => {
    if (launcher && launcher.exitCode === null && launcher.signalCode === null) {
      launcher.kill('SIGINT');
      await Promise.race([exited(), sleep(30_000)]);
    }
    await database?.drop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  }, 60_000);

  it('prints the URLs, the demo logins and how to scale and stop', () => {
    expect(output).toContain(`Dynapharm Realtime is up: http://localhost:${ports.FRONT_DOOR_PORT}`);
    expect(output).toMatch(/admin\s+admin/);
    expect(output).toContain('manager-kampala');
    expect(output).toContain('pnpm cluster:scale');
    expect(output).toContain(frontDoor === 'haproxy' ? 'HAProxy' : 'Node proxy');
  });

  it('answers health, OpenAPI and the status page through the front door', async () => {
    const health = await fetch(`${base}/api/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok', service: 'api' });
    const ready = await fetch(`${base}/api/ready`);
    expect(await ready.json()).toMatchObject({ status: 'ready', database: 'ok', redis: 'ok' });
    const openapi = await fetch(`${base}/api/openapi.json`);
    expect(openapi.status).toBe(200);
    // The web console when apps/web is built, else the status page.
    const page = await fetch(`${base}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    const status = await fetch(`${base}/launcher/`);
    expect(await status.text()).toContain('/ws-stats');
  });

  it('shows three replicas, then follows scale 4 and scale 2', async () => {
    await eventually(stats, (s) => s.totals.replicas === 3);
    expect((await stats()).replicas.map((r) => r.replicaId)).toEqual(['gw-1', 'gw-2', 'gw-3']);

    expect((await scale(4)).stdout).toContain('4 gateway replicas');
    await eventually(stats, (s) => s.totals.replicas === 4);

    expect((await scale(2)).stdout).toContain('2 gateway replicas');
    const after = await eventually(stats, (s) => s.totals.replicas === 2);
    expect(after.replicas.map((r) => r.replicaId)).toEqual(['gw-1', 'gw-2']);
    expect(await isPortOpen(gw + 3)).toBe(false);
  }, 90_000);

  it('keeps a long-polling session on its replica by cookie', async () => {
    const login = await fetch(`${base}/api/auth/dev-login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ userId: 'admin' }),
    });
    expect(login.status).toBe(200);
    token = ((await login.json()) as { token: string }).token;

    // Engine.IO by hand: every request after the handshake must reach the
    // replica that holds the session, or it answers "Session ID unknown".
    const handshake = await fetch(`${base}/ws/?EIO=4&transport=polling`);
    const cookie = handshake.headers.get('set-cookie')?.split(';')[0];
    expect(cookie).toMatch(/^SERVERID=/);
    const open = await handshake.text();
    const sid = (JSON.parse(open.slice(1)) as { sid: string }).sid;
    const poll = `${base}/ws/?EIO=4&transport=polling&sid=${sid}`;
    const post = (body: string) =>
      fetch(poll, { method: 'POST', headers: { cookie: cookie ?? '' }, body });
    expect(await (await post(`40${JSON.stringify({ token })}`)).text()).toBe('ok');
    const connected = await (await fetch(poll, { headers: { cookie: cookie ?? '' } })).text();
    expect(connected).toContain('40{"sid"');
    for (let i = 0; i < 12; i++) {
      const res = await post('42["unsubscribe",[]]');
      const text = await res.text();
      expect(text, `request ${i}`).not.toContain('Session ID unknown');
      expect(res.status).toBe(200);
    }
    await post('1');

    // And the real client, polling only, with its cookie jar.
    const socket: Socket = io(base, {
      path: '/ws',
      transports: ['polling'],
      withCredentials: true,
      reconnection: false,
      auth: { token },
    });
    try {
      const hello = await new Promise<{ replicaId: string }>((resolve, reject) => {
        socket.once('server:hello', resolve);
        socket.once('connect_error', reject);
        setTimeout(() => reject(new Error('no server:hello')), 10_000);
      });
      expect(hello.replicaId).toMatch(/^gw-[12]$/);
      let dropped = '';
      socket.on('disconnect', (reason) => {
        dropped = reason;
      });
      for (let i = 0; i < 10; i++) await socket.timeout(5_000).emitWithAck('unsubscribe', []);
      expect(dropped).toBe('');
      expect(socket.io.engine.transport.name).toBe('polling');
    } finally {
      socket.close();
    }
  }, 60_000);

  it('upgrades to WebSocket through the front door', async () => {
    const socket: Socket = io(base, {
      path: '/ws',
      transports: ['websocket'],
      reconnection: false,
      auth: { token },
    });
    try {
      const hello = await new Promise<{ replicaId: string }>((resolve, reject) => {
        socket.once('server:hello', resolve);
        socket.once('connect_error', reject);
        setTimeout(() => reject(new Error('no server:hello')), 10_000);
      });
      expect(hello.replicaId).toMatch(/^gw-[12]$/);
    } finally {
      socket.close();
    }
  });

  it('serves the Admin UI and lets it reach every replica through the front door', async () => {
    const page = await fetch(`${base}/admin-ui/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<title>Socket.IO Admin UI</title>');
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self';");
    expect(page.headers.get('x-frame-options')).toBe('DENY');

    const admin = (auth: Record<string, string>) =>
      io(`${base}/admin`, { path: '/ws', transports: ['websocket'], reconnection: false, auth });
    const refused = admin({ username: 'admin', password: 'not-the-password' });
    try {
      const error = await new Promise<Error>((resolve) => refused.once('connect_error', resolve));
      expect(error.message).toBe('invalid credentials');
    } finally {
      refused.close();
    }
    const socket = admin({ username: 'admin', password: adminUiPassword });
    try {
      const seen = new Set<string>();
      socket.on('server_stats', (stats: { serverId: string }) => seen.add(stats.serverId));
      await eventually(
        async () => [...seen].sort(),
        (ids) => ids.join() === 'gw-1,gw-2',
        8_000,
      );
    } finally {
      socket.close();
    }
  });

  it('stops everything on SIGINT', async () => {
    const state = JSON.parse(readFileSync(join(dataDir, 'launcher.json'), 'utf8')) as LauncherState;
    expect(state.children.map((c) => c.name)).toEqual(
      expect.arrayContaining(['api', 'gw-1', 'gw-2']),
    );
    launcher.kill('SIGINT');
    const code = await Promise.race([exited(), sleep(45_000).then(() => 'timeout')]);
    expect(code, output).toBe(0);
    expect(output).toContain('nothing left running');
    for (const child of state.children) expect(isAlive(child.pid), child.name).toBe(false);
    for (const port of [
      ports.FRONT_DOOR_PORT,
      ports.API_PORT,
      ports.CONTROL_PORT,
      ports.WEB_PORT,
      gw,
      gw + 1,
    ]) {
      expect(await isPortOpen(port ?? 0), `port ${port}`).toBe(false);
    }
    expect(existsSync(join(dataDir, 'launcher.json'))).toBe(false);
  }, 60_000);
});
