import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { signToken } from '@dynapharm/auth';
import { createDb, seedDatabase } from '@dynapharm/db';
import { haproxyConfig } from '@dynapharm/launcher/front-door/haproxy-config';
import { RealtimeClient } from '@dynapharm/realtime-client';
import { createTestDatabase, type IsolatedDatabase, waitForPort } from '@dynapharm/testkit';
import type { ChangeEvent } from '@dynapharm/types';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTopology, type Host, type HostProcess, type Topology } from './netns.ts';

const execFileAsync = promisify(execFile);
const root = fileURLToPath(new URL('../../../', import.meta.url));
const SECRET = 'hosts-suite-secret-0123456789abcdefghij';
const PUBLISH_TOKEN = 'hosts-suite-publish-token-0123456789';
const API_PORT = 3000;
const GATEWAY_PORT = 8081;
const FRONT_DOOR_PORT = 8080;
const STATS_PORT = 8404;
const REDIS_PORT = 6379;
const GATEWAYS = ['gw-1', 'gw-2', 'gw-3'] as const;
/** The gateway whose host is cut off. */
const VICTIM = 'gw-2';
const CLIENTS = 9;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let logDir: string;
let net: Topology;
let database: IsolatedDatabase;
let pgForward: Server;
const hosts: Record<string, Host> = {};
const procs: Record<string, HostProcess> = {};
let frontDoor: string;
let token: string;
let branchId: string;
/** Stops writers and clients first, also when the test failed half-way. */
const onTeardown: (() => void)[] = [];

/** PostgreSQL stays on the test stack (loopback): forwarded from the root namespace's address. */
async function forwardPostgres(bindIp: string, target: URL): Promise<Server> {
  const server = createServer((client) => {
    const upstream = new Socket();
    upstream.connect(Number(target.port || 5432), target.hostname);
    client.pipe(upstream).pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, bindIp, resolve));
  return server;
}

async function waitHealthy(proc: HostProcess, url: string, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc.child.exitCode !== null) {
      throw new Error(`${proc.name} exited with ${proc.child.exitCode}:\n${proc.tail()}`);
    }
    const ok = await fetch(`${url}/health`, { signal: AbortSignal.timeout(1000) }).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await sleep(100);
  }
  throw new Error(`${proc.name} did not become healthy at ${url}:\n${proc.tail()}`);
}

interface Stats {
  replicas: { replicaId: string; url: string; connections: number }[];
}

/** `/stats` of one gateway, asked directly from the root namespace. */
async function statsFrom(gateway: string): Promise<Stats | undefined> {
  return fetch(`http://${hosts[gateway]?.ip}:${GATEWAY_PORT}/stats`, {
    signal: AbortSignal.timeout(1500),
  }).then(
    (r) => (r.ok ? (r.json() as Promise<Stats>) : undefined),
    () => undefined,
  );
}

/**
 * HAProxy's own view of the gateways (`UP`, `DOWN`, ...), read from its stats
 * page on the HAProxy host's loopback, as an operator on that host would.
 */
async function haproxyGatewayStatus(): Promise<Record<string, string>> {
  const host = hosts.haproxy as Host;
  const script = `fetch('http://127.0.0.1:${STATS_PORT}/;csv').then(r=>r.text()).then(t=>process.stdout.write(t))`;
  const { stdout } = await execFileAsync('ip', [
    'netns',
    'exec',
    host.ns,
    process.execPath,
    '-e',
    script,
  ]);
  const status: Record<string, string> = {};
  for (const line of stdout.split('\n')) {
    const [backend, server, ...rest] = line.split(',');
    if (backend === 'gateways' && server?.startsWith('gw-')) status[server] = rest[15] ?? '';
  }
  return status;
}

beforeAll(async () => {
  logDir = mkdtempSync(join(tmpdir(), 'dynapharm-hosts-'));
  net = await createTopology(logDir);
  for (const name of ['redis', 'api', ...GATEWAYS, 'haproxy']) {
    hosts[name] = await net.addHost(name);
  }
  const redisHost = hosts.redis as Host;
  const apiHost = hosts.api as Host;
  const haproxyHost = hosts.haproxy as Host;

  database = await createTestDatabase();
  const seeded = createDb(database.url, { max: 2 });
  await seedDatabase(seeded.db, { clientsPerBranch: 2, ordersPerBranch: 1, reportDays: 1 });
  const { rows } = await seeded.pool.query<{ id: string }>('SELECT id FROM branches LIMIT 1');
  await seeded.close();
  branchId = rows[0]?.id ?? '';
  pgForward = await forwardPostgres(net.rootIp, new URL(database.url));
  const pgUrl = new URL(database.url);
  pgUrl.hostname = net.rootIp;
  pgUrl.port = String((pgForward.address() as { port: number }).port);

  procs.redis = net.run(redisHost, 'redis', 'redis-server', [
    '--port',
    String(REDIS_PORT),
    '--bind',
    redisHost.ip,
    '--save',
    '',
    '--appendonly',
    'no',
    '--protected-mode',
    'no',
  ]);
  await waitForPort(REDIS_PORT, redisHost.ip, 10_000);
  const redisUrl = `redis://${redisHost.ip}:${REDIS_PORT}`;
  const common = {
    ...process.env,
    REDIS_URL: redisUrl,
    REDIS_KEY_PREFIX: 'hosts',
    AUTH_JWT_SECRET: SECRET,
    LOG_LEVEL: 'warn',
    HOST: '0.0.0.0',
  };
  procs.api = net.run(apiHost, 'api', process.execPath, [`${root}apps/api/dist/main.js`], {
    ...common,
    PORT: String(API_PORT),
    DATABASE_URL: pgUrl.toString(),
    RELAY_POLL_MS: '200',
    TRUST_PROXY: 'true',
    WRITE_RATE_LIMIT_PER_MINUTE: '100000',
    READ_RATE_LIMIT_PER_MINUTE: '100000',
  });
  for (const name of GATEWAYS) {
    const host = hosts[name] as Host;
    procs[name] = net.run(host, name, process.execPath, [`${root}apps/gateway/dist/main.js`], {
      ...common,
      PORT: String(GATEWAY_PORT),
      REPLICA_ID: name,
      PUBLIC_URL: `http://${host.ip}:${GATEWAY_PORT}`,
      PUBLISH_TOKEN,
      // A client hears a ping every second; two more silent seconds and it moves.
      SOCKET_PING_INTERVAL_MS: '1000',
      SOCKET_PING_TIMEOUT_MS: '2000',
    });
  }
  await Promise.all([
    waitHealthy(procs.api, `http://${apiHost.ip}:${API_PORT}`),
    ...GATEWAYS.map((name) =>
      waitHealthy(procs[name] as HostProcess, `http://${hosts[name]?.ip}:${GATEWAY_PORT}`),
    ),
  ]);

  const config = haproxyConfig({
    frontDoorPort: FRONT_DOOR_PORT,
    bindHost: haproxyHost.ip,
    api: { host: apiHost.ip, port: API_PORT },
    // No console here; the API answers the web backend's checks.
    web: { host: apiHost.ip, port: API_PORT },
    gateways: GATEWAYS.map((name) => ({
      name,
      host: hosts[name]?.ip ?? '',
      port: GATEWAY_PORT,
    })),
    statsPort: STATS_PORT,
    gatewayCheck: { interMs: 500, fall: 2, rise: 2 },
  });
  const configFile = join(logDir, 'haproxy.cfg');
  writeFileSync(configFile, config);
  await execFileAsync('haproxy', ['-c', '-q', '-f', configFile]).catch((err) => {
    throw new Error(
      `HAProxy rejected the generated config: ${(err as { stderr?: string }).stderr}`,
    );
  });
  procs.haproxy = net.run(haproxyHost, 'haproxy', 'haproxy', ['-W', '-db', '-f', configFile]);
  await waitForPort(FRONT_DOOR_PORT, haproxyHost.ip, 10_000);
  frontDoor = `http://${haproxyHost.ip}:${FRONT_DOOR_PORT}`;
  // Every gateway marked up by HAProxy before clients arrive.
  const deadline = Date.now() + 15_000;
  let status: Record<string, string> = {};
  while (Date.now() < deadline) {
    status = await haproxyGatewayStatus();
    if (GATEWAYS.every((g) => status[g] === 'UP')) break;
    await sleep(200);
  }
  expect(status).toEqual({ 'gw-1': 'UP', 'gw-2': 'UP', 'gw-3': 'UP' });
  token = await signToken({ sub: 'hosts-admin', role: 'admin', branches: [] }, { secret: SECRET });
}, 120_000);

afterAll(async () => {
  for (const stop of onTeardown.splice(0)) stop();
  const leftovers: string[] = [];
  if (net) {
    await net.destroy();
    leftovers.push(...(await net.leftovers()));
  }
  await new Promise<void>((resolve) => (pgForward ? pgForward.close(() => resolve()) : resolve()));
  await database?.drop().catch(() => {});
  if (logDir) rmSync(logDir, { recursive: true, force: true });
  // A run that leaves namespaces or links behind is a failure of its own.
  expect(leftovers).toEqual([]);
}, 60_000);

/** One write through the front door that lands exactly once, retried with its Idempotency-Key. */
async function writeUntilLanded(path: string, method: string, json: unknown) {
  const key = randomUUID();
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`${frontDoor}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          'idempotency-key': key,
        },
        body: JSON.stringify(json),
        signal: AbortSignal.timeout(5000),
      });
      const answer = (await res.json()) as { id: string; error?: { code: string } };
      if (res.status < 500 && answer.error?.code !== 'idempotency_in_progress') return answer;
    } catch {
      // try again
    }
    await sleep(100);
  }
  throw new Error(`write ${method} ${path} never landed`);
}

/**
 * A client through the front door that records what it applied and the head
 * its first catch-up started it at: it owes every change after that head.
 */
function trackedClient(transport: 'websocket' | 'polling' = 'websocket') {
  const tracked = {
    rt: undefined as unknown as RealtimeClient,
    transport,
    applied: [] as ChangeEvent[],
    startOffset: -1,
    /** Gateways it was connected to, in order, one entry per connection. */
    connections: [] as string[],
  };
  tracked.rt = new RealtimeClient({
    wsUrl: frontDoor,
    token,
    // Long-polling needs HAProxy's affinity cookie: every request of a session
    // must reach the gateway that holds it (Node's client keeps cookies).
    transports: [transport],
    reconnectDelayMs: { min: 100, max: 1000 },
    // No periodic safety net: only reconnect catch-up and live events count.
    catchUpIntervalMs: 0,
    fetch: async (input, init) => {
      const res = await fetch(input, init);
      if (tracked.startOffset < 0 && res.ok && String(input).includes('/api/changes')) {
        const page = (await res.clone().json()) as { head: number };
        tracked.startOffset = page.head;
      }
      return res;
    },
  });
  tracked.rt.on('*', (_d, e) => {
    if ('offset' in e) tracked.applied.push(e);
  });
  tracked.rt.onConnect(({ replicaId }) => tracked.connections.push(replicaId ?? '?'));
  onTeardown.push(() => tracked.rt.disconnect());
  return tracked;
}

/** `promise`, or a failure naming what did not happen within `ms`. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/** Waits for `ok`, returning the milliseconds it took from `since`. */
async function until(
  what: string,
  ok: () => boolean | Promise<boolean>,
  since: number,
  ms: number,
) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await ok()) return Date.now() - since;
    await sleep(50);
  }
  throw new Error(`timed out after ${ms} ms waiting for: ${what}`);
}

describe('gateways on separate hosts', () => {
  it('moves a partitioned gateway host’s clients through HAProxy without a miss, and takes the host back', async () => {
    // Every other client long-polls, so the move is proven with both transports.
    const clients = Array.from({ length: CLIENTS }, (_, i) =>
      trackedClient(i % 2 === 1 ? 'polling' : 'websocket'),
    );
    for (const c of clients) {
      await c.rt.subscribe(['clients']);
      await within(c.rt.connect(), 15_000, `a ${c.transport} client connecting through HAProxy`);
    }
    const placement = clients.map((c) => c.rt.replicaId);
    // leastconn spreads sequential connections over all three.
    for (const g of GATEWAYS) expect(placement).toContain(g);
    const victims = clients.filter((c) => c.rt.replicaId === VICTIM);
    const bystanders = clients.filter((c) => c.rt.replicaId !== VICTIM);

    let writing = true;
    const written: string[] = [];
    const writer = (async () => {
      while (writing) {
        const created = await writeUntilLanded('/api/clients', 'POST', {
          id: randomUUID(),
          branchId,
          fullName: `Host ${written.length}`,
        });
        written.push(created.id);
        await writeUntilLanded(`/api/clients/${created.id}`, 'PATCH', {
          version: 1,
          notes: 'written while a host was cut off',
        });
      }
    })();
    onTeardown.push(() => {
      writing = false;
    });
    // Awaited below; this only keeps an abandoned writer (a failed run) quiet.
    writer.catch(() => {});
    await sleep(1500);

    // Partition: the victim's cable is pulled; its gateway process keeps running.
    const cutAt = Date.now();
    const writtenBeforeCut = written.length;
    await net.cut(hosts[VICTIM] as Host);
    const movedMs = await until(
      'every client of the cut-off gateway connected to another one',
      () => victims.every((c) => c.rt.isConnected && c.rt.replicaId !== VICTIM),
      cutAt,
      20_000,
    );
    const downStatus = await haproxyGatewayStatus();
    const leftStatsMs = await until(
      `${VICTIM} gone from /stats`,
      async () => {
        const stats = await statsFrom('gw-1');
        return stats !== undefined && !stats.replicas.some((r) => r.replicaId === VICTIM);
      },
      cutAt,
      15_000,
    );
    // Writes keep flowing while the host is away.
    await sleep(2000);
    const writtenWhileCut = written.length - writtenBeforeCut;

    // The host comes back.
    const restoredAt = Date.now();
    await net.restore(hosts[VICTIM] as Host);
    const rejoinedStatsMs = await until(
      `${VICTIM} listed in /stats again`,
      async () => {
        const stats = await statsFrom('gw-1');
        return stats?.replicas.some((r) => r.replicaId === VICTIM) ?? false;
      },
      restoredAt,
      20_000,
    );
    // A new client lands on it: HAProxy marked it up again (leastconn prefers
    // the replica that has nobody).
    let late: ReturnType<typeof trackedClient> | undefined;
    const landedMs = await until(
      `a new client placed on ${VICTIM} by HAProxy`,
      async () => {
        const probe = trackedClient();
        // Remembered and sent before the first catch-up, so nothing falls in between.
        await probe.rt.subscribe(['clients']);
        await within(probe.rt.connect(), 15_000, 'a new client connecting through HAProxy');
        if (probe.rt.replicaId === VICTIM) {
          late = probe;
          return true;
        }
        probe.rt.disconnect();
        return false;
      },
      restoredAt,
      20_000,
    );
    const upStatus = await haproxyGatewayStatus();
    if (!late) throw new Error('no client landed on the restored gateway');
    await sleep(2000);

    writing = false;
    await writer;

    // The checker: sync_log is the truth of what was published.
    const db = new pg.Client({ connectionString: database.url });
    await db.connect();
    const deadline = Date.now() + 30_000;
    const pending = async () => {
      const { rows } = await db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM sync_log
          WHERE record_id = ANY($1::uuid[]) AND ("offset" IS NULL OR published_at IS NULL)`,
        [written],
      );
      return rows[0]?.n ?? 0;
    };
    while ((await pending()) > 0 && Date.now() < deadline) await sleep(200);
    const { rows } = await db.query<{ offset: string }>(
      `SELECT "offset" FROM sync_log
        WHERE resource = 'clients' AND record_id = ANY($1::uuid[]) AND "offset" IS NOT NULL
        ORDER BY "offset"`,
      [written],
    );
    await db.end();
    const logged = rows.map((r) => Number(r.offset));
    const everyone = [...clients, late];
    const expectedFor = (c: { startOffset: number }) => logged.filter((o) => o > c.startOffset);
    const mine = (c: { applied: ChangeEvent[] }) =>
      c.applied.filter((e) => written.includes(e.id)).map((e) => e.offset);
    await until(
      'every client applied every logged change',
      () =>
        everyone.every((c) => {
          const got = new Set(mine(c));
          return expectedFor(c).every((o) => got.has(o));
        }),
      Date.now(),
      30_000,
    ).catch(() => undefined);

    console.log(
      [
        `[hosts] subnet ${net.subnet}; clients ${clients.map((c) => `${c.connections[0]}/${c.transport}`).join(' ')}; ${victims.length} on ${VICTIM}`,
        `[hosts] cut ${VICTIM}: clients moved in ${movedMs} ms (to ${victims.map((c) => c.rt.replicaId).join(' ')}), out of /stats in ${leftStatsMs} ms, HAProxy then ${JSON.stringify(downStatus)}`,
        `[hosts] ${writtenWhileCut} records written while cut off; ${written.length} in all`,
        `[hosts] link up: back in /stats in ${rejoinedStatsMs} ms, a new client placed on it in ${landedMs} ms, HAProxy then ${JSON.stringify(upStatus)}`,
      ].join('\n'),
    );
    for (const [i, c] of everyone.entries()) {
      const got = mine(c);
      const want = expectedFor(c);
      const missing = want.filter((o) => !got.includes(o));
      const extra = got.filter((o) => !want.includes(o));
      console.log(
        `[hosts] client ${i} on ${c.rt.replicaId}: from ${c.startOffset}, applied ${got.length}/${want.length}, missing ${missing.slice(0, 5)}${missing.length > 5 ? '…' : ''} (${missing.length}), extra ${extra.slice(0, 5)} (${extra.length})`,
      );
    }
    for (const c of everyone) c.rt.disconnect();

    expect(victims.map((c) => c.transport).sort()).toEqual(
      expect.arrayContaining(['polling', 'websocket']),
    );
    // Only the cut-off gateway's clients moved, each once, and never back to it;
    // the others (long-polling ones included, held by the affinity cookie) never dropped.
    for (const c of victims) {
      expect(c.connections).toHaveLength(2);
      expect(c.connections[0]).toBe(VICTIM);
      expect(c.connections[1]).not.toBe(VICTIM);
    }
    for (const c of bystanders) expect(c.connections).toEqual([c.connections[0]]);
    expect(downStatus[VICTIM]).toMatch(/^DOWN/);
    expect(writtenWhileCut).toBeGreaterThan(0);
    expect(upStatus[VICTIM]).toBe('UP');
    // The gateway was cut off, not killed.
    expect(procs[VICTIM]?.child.exitCode).toBeNull();
    expect(logged).toHaveLength(written.length * 2);
    for (const c of everyone) {
      expect(c.startOffset).toBeGreaterThanOrEqual(0);
      // Exactly the changes in sync_log since it connected: none missed, none twice, in order.
      expect(mine(c)).toEqual(expectedFor(c));
    }
  }, 150_000);
});
