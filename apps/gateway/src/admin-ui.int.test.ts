import type { BusConfig } from '@dynapharm/outbox';
import { startRedisCluster, type TestRedisCluster } from '@dynapharm/testkit';
import bcrypt from 'bcryptjs';
import { io, type Socket } from 'socket.io-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { AdminUiOptions } from './admin-ui.ts';
import {
  adminToken,
  type Cluster,
  closeClients,
  connect,
  eventually,
  sleep,
  startCluster,
} from './testing/cluster.ts';

// Published here, hence listed in `publishedAdminUiPasswords` (production refuses its hash).
const password = 'admin-ui-suite-password-0123456789';
const passwordHash = bcrypt.hashSync(password, 4);

interface ServerStats {
  serverId: string;
  namespaces: { name: string; socketsCount: number }[];
}

const admins = new Set<Socket>();
const configs = new WeakMap<Socket, Promise<{ supportedFeatures: string[] }>>();

/** The features the server announced on connection (it emits `config` right after the handshake). */
const configOf = (socket: Socket) => configs.get(socket) ?? Promise.reject(new Error('no config'));

/** An Admin UI client, as the UI's front end opens it: namespace `/admin`, path `/ws`. */
function connectAdmin(url: string, auth: Record<string, string>): Promise<Socket> {
  const socket = io(`${url}/admin`, {
    path: '/ws',
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
    timeout: 5_000,
    auth,
  });
  admins.add(socket);
  configs.set(socket, new Promise((resolve) => socket.once('config', resolve)));
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', (err) => {
      socket.close();
      reject(err);
    });
  });
}

function adminCluster(adminUi: Partial<AdminUiOptions>, bus: Partial<BusConfig> = {}) {
  return startCluster(3, {
    bus,
    adminUi: {
      username: 'operator',
      passwordHash,
      readonly: false,
      mode: 'development',
      ...adminUi,
    },
  });
}

afterEach(() => {
  closeClients();
  for (const socket of admins) socket.close();
  admins.clear();
});

describe('Socket.IO Admin UI, writable (development)', () => {
  let cluster: Cluster;

  beforeAll(async () => {
    cluster = await adminCluster({ readonly: false, mode: 'development' });
  });
  afterAll(async () => {
    await cluster?.close();
  });

  it('refuses a wrong password, a wrong user name and no credentials', async () => {
    const url = cluster.urls[0] ?? '';
    await expect(connectAdmin(url, { username: 'operator', password: 'wrong' })).rejects.toThrow(
      'invalid credentials',
    );
    await expect(connectAdmin(url, { username: 'admin', password })).rejects.toThrow(
      'invalid credentials',
    );
    await expect(connectAdmin(url, {})).rejects.toThrow('invalid credentials');
    // A made-up session id is no way in either.
    await expect(connectAdmin(url, { sessionId: 'feedfacecafebeef' })).rejects.toThrow(
      'invalid credentials',
    );
  });

  it('lists every replica to a client signed in on one of them', async () => {
    const admin = await connectAdmin(cluster.urls[0] ?? '', { username: 'operator', password });
    const seen = new Map<string, ServerStats>();
    admin.on('server_stats', (stats: ServerStats) => seen.set(stats.serverId, stats));
    // Each replica emits its stats every 2 s; the Redis adapter brings them all here.
    await eventually(() => expect(seen.size).toBe(3), 6_000);
    expect([...seen.keys()].sort()).toEqual(cluster.gateways.map((g) => g.replicaId).sort());
    for (const stats of seen.values()) {
      expect(stats.namespaces.map((n) => n.name)).toEqual(expect.arrayContaining(['/', '/admin']));
    }
  });

  it('keeps the session in Redis, so it is valid on every replica', async () => {
    const first = io(`${cluster.urls[0]}/admin`, {
      path: '/ws',
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
      auth: { username: 'operator', password },
    });
    admins.add(first);
    const sessionId = await new Promise<string>((resolve) => first.once('session', resolve));
    const other = await connectAdmin(cluster.urls[2] ?? '', { sessionId });
    expect(other.connected).toBe(true);
  });

  it('may disconnect a client on another replica (the control for read-only)', async () => {
    const admin = await connectAdmin(cluster.urls[0] ?? '', { username: 'operator', password });
    const config = await configOf(admin);
    expect(config.supportedFeatures).toContain('DISCONNECT');
    const user = await connect(cluster.urls[1] ?? '', { token: await adminToken() });
    admin.emit('_disconnect', '/', false, user.id);
    await eventually(() => expect(user.connected).toBe(false), 3_000);
  });

  it('leaves the clients namespace to its own token check', async () => {
    await expect(connect(cluster.urls[0] ?? '', {})).rejects.toThrow();
  });
});

describe('Socket.IO Admin UI, read-only (production)', () => {
  let cluster: Cluster;

  beforeAll(async () => {
    cluster = await adminCluster({ readonly: true, mode: 'production' });
  });
  afterAll(async () => {
    await cluster?.close();
  });

  it('shows every replica but refuses an emit that would disconnect a client', async () => {
    const admin = await connectAdmin(cluster.urls[0] ?? '', { username: 'operator', password });
    const seen = new Set<string>();
    admin.on('server_stats', (stats: ServerStats) => seen.add(stats.serverId));
    const config = await configOf(admin);
    expect(config.supportedFeatures).toEqual(['AGGREGATED_EVENTS']);

    const user = await connect(cluster.urls[1] ?? '', { token: await adminToken() });
    const local = await connect(cluster.urls[0] ?? '', { token: await adminToken() });
    for (const target of [user, local]) {
      admin.emit('_disconnect', '/', true, target.id);
      admin.emit('leave', '/', target.id, target.id);
    }
    admin.emit('emit', '/', null, 'server:catch-up', { replicaId: 'forged' });
    await sleep(1_500);
    expect(user.connected).toBe(true);
    expect(local.connected).toBe(true);
    expect(admin.connected).toBe(true);
    await eventually(() => expect(seen.size).toBe(3), 6_000);
  });
});

describe('Admin UI files', () => {
  let on: Cluster;
  let off: Cluster;

  beforeAll(async () => {
    [on, off] = await Promise.all([
      adminCluster({ readonly: true, mode: 'production' }),
      startCluster(1),
    ]);
  });
  afterAll(async () => {
    await Promise.all([on?.close(), off?.close()]);
  });

  it('serves the package’s ui/dist under /admin-ui/ with the console’s security headers', async () => {
    const url = on.urls[0] ?? '';
    const bare = await fetch(`${url}/admin-ui`, { redirect: 'manual' });
    expect(bare.status).toBe(308);
    expect(bare.headers.get('location')).toBe('/admin-ui/');

    const page = await fetch(`${url}/admin-ui/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const html = await page.text();
    expect(html).toContain('<title>Socket.IO Admin UI</title>');
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self';");
    expect(csp).toContain("style-src 'self';");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');

    const script = /src="(js\/app\.[0-9a-f]+\.js)"/.exec(html)?.[1];
    const js = await fetch(`${url}/admin-ui/${script}`);
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');

    for (const path of [
      '/admin-ui/../package.json',
      '/admin-ui/%2e%2e/package.json',
      '/admin-ui/nope.js',
    ]) {
      expect((await fetch(`${url}${path}`)).status, path).toBe(404);
    }
    const post = await fetch(`${url}/admin-ui/`, { method: 'POST' });
    expect(post.status).toBe(405);
  });

  it('serves nothing and has no /admin namespace when not configured', async () => {
    const url = off.urls[0] ?? '';
    expect((await fetch(`${url}/admin-ui/`)).status).toBe(404);
    await expect(connectAdmin(url, { username: 'operator', password })).rejects.toThrow(
      'Invalid namespace',
    );
  });
});

describe('Socket.IO Admin UI on a Redis Cluster', () => {
  let redis: TestRedisCluster;
  let cluster: Cluster;

  beforeAll(async () => {
    redis = await startRedisCluster();
    cluster = await adminCluster(
      { readonly: false, mode: 'development' },
      {
        adapter: 'sharded',
        clusterNodes: redis.ports.map((port) => ({ host: redis.host, port })),
      },
    );
  }, 120_000);
  afterAll(async () => {
    await cluster?.close();
    await redis?.close();
  });

  it('keeps sessions in the cluster and lists every replica', async () => {
    const first = io(`${cluster.urls[0]}/admin`, {
      path: '/ws',
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
      auth: { username: 'operator', password },
    });
    admins.add(first);
    const sessionId = await new Promise<string>((resolve) => first.once('session', resolve));
    const other = await connectAdmin(cluster.urls[2] ?? '', { sessionId });
    expect(other.connected).toBe(true);
    await expect(
      connectAdmin(cluster.urls[1] ?? '', { sessionId: 'feedfacecafebeef' }),
    ).rejects.toThrow('invalid credentials');
    const seen = new Set<string>();
    other.on('server_stats', (stats: ServerStats) => seen.add(stats.serverId));
    await eventually(() => expect(seen.size).toBe(3), 6_000);
  });
});
