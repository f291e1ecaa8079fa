import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RealtimeClient } from '@dynapharm/realtime-client';
import type { ChangeEvent, ClientToServerEvents, ServerToClientEvents } from '@dynapharm/types';
import { io, type Socket } from 'socket.io-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createStack, eventually, repoRoot, type Stack, sleep } from './stack.ts';

// The containerised cluster of docker-compose.yml, driven only through its
// front door (HAProxy): the API under /api, three gateway replicas under /ws
// (cookie affinity), the web console under /. Images must exist
// (`pnpm test:compose` builds them first).

const PORT = Number(process.env.COMPOSE_TEST_PORT ?? 18080);
const PROJECT = process.env.COMPOSE_TEST_PROJECT ?? 'dynapharm-ci';
const PROMETHEUS_PORT = Number(process.env.COMPOSE_TEST_PROMETHEUS_PORT ?? 19090);
const ALERTMANAGER_PORT = Number(process.env.COMPOSE_TEST_ALERTMANAGER_PORT ?? 19093);

let stack: Stack;
let base: string;
let token: string;
let branchId: string;
const suiteStarted = Date.now();
let failed = false;

type GatewaySocket = Socket<ServerToClientEvents, ClientToServerEvents>;
const sockets: GatewaySocket[] = [];
const clients: RealtimeClient[] = [];

async function http(path: string, init: { method?: string; json?: unknown } = {}) {
  const headers: Record<string, string> = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (init.json !== undefined) headers['content-type'] = 'application/json';
  return fetch(`${base}${path}`, {
    method: init.method ?? 'GET',
    headers,
    body: init.json === undefined ? undefined : JSON.stringify(init.json),
    signal: AbortSignal.timeout(10_000),
  });
}

/** POST /api/clients through the front door; returns the new id. */
async function createClient(fullName: string): Promise<string> {
  const res = await http('/api/clients', { method: 'POST', json: { branchId, fullName } });
  if (res.status !== 201) throw new Error(`POST /api/clients: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { id: string }).id;
}

/**
 * The gateways' cluster stats, read from a replica inside the compose network:
 * the front door answers /ws-stats to loopback clients only, and nothing that
 * comes in through Docker's published port is loopback to HAProxy.
 */
async function gatewayStats(): Promise<{
  totals: { replicas: number };
  replicas: { replicaId: string }[];
}> {
  const fetchStats =
    "fetch('http://127.0.0.1:'+process.env.PORT+'/stats').then(r=>r.text()).then(t=>process.stdout.write(t))";
  // `docker exec` on a running replica: compose v1's `exec` picks container
  // number 1, which a rolling restart has replaced.
  const [replica] = await stack.containers('gateway');
  if (!replica) throw new Error('no gateway container');
  return JSON.parse(await stack.run('docker', ['exec', replica, 'node', '-e', fetchStats], 20_000));
}

async function clusterReplicas(): Promise<number> {
  return (await gatewayStats()).totals.replicas;
}

/** A Prometheus HTTP API answer (`/api/v1/...`) through its published port. */
async function prometheusApi<T>(path: string): Promise<T> {
  const res = await fetch(`${stack.prometheus}/api/v1/${path}`, {
    signal: AbortSignal.timeout(10_000),
  });
  const body = (await res.json()) as { status: string; data: T };
  if (body.status !== 'success') throw new Error(`${path}: ${JSON.stringify(body)}`);
  return body.data;
}

/** The value of a PromQL query that yields one sample, or undefined. */
async function promValue(query: string): Promise<number | undefined> {
  const data = await prometheusApi<{ result: { value: [number, string] }[] }>(
    `query?query=${encodeURIComponent(query)}`,
  );
  const [first] = data.result;
  return first === undefined ? undefined : Number(first.value[1]);
}

interface Recorded {
  socket: GatewaySocket;
  hellos: string[];
  events: ChangeEvent[];
  /** Disconnects and errors, each as `<kind>: <reason>`; any entry is a failure. */
  troubles: string[];
  /** Completed long-polling requests (polling transport only). */
  polls: number;
}

/**
 * A raw socket.io-client through the front door, like a browser: cookies kept
 * (`withCredentials`, so HAProxy's SERVERID cookie comes back on every poll),
 * no automatic reconnection (a reconnect would hide a lost session).
 */
async function connectRaw(transports: ('websocket' | 'polling')[]): Promise<Recorded> {
  const socket: GatewaySocket = io(base, {
    path: '/ws',
    transports,
    upgrade: false,
    auth: { token },
    withCredentials: true,
    reconnection: false,
    forceNew: true,
    timeout: 10_000,
  });
  sockets.push(socket);
  const rec: Recorded = { socket, hellos: [], events: [], troubles: [], polls: 0 };
  socket.on('server:hello', ({ replicaId }) => rec.hellos.push(replicaId));
  socket.onAny((name: string, event: ChangeEvent) => {
    if (name.startsWith('clients:')) rec.events.push(event);
  });
  socket.on('disconnect', (reason) => rec.troubles.push(`disconnect: ${reason}`));
  socket.on('connect_error', (err) => rec.troubles.push(`connect_error: ${err.message}`));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  const engine = socket.io.engine;
  engine.on('error', (err: unknown) => rec.troubles.push(`engine error: ${String(err)}`));
  engine.transport.on('pollComplete', () => {
    rec.polls += 1;
  });
  const ack = await socket.timeout(10_000).emitWithAck('subscribe', ['clients']);
  expect(ack.granted).toEqual(['clients']);
  await eventually(() => rec.hellos[0], 'server:hello');
  return rec;
}

beforeAll(async () => {
  stack = await createStack({
    project: PROJECT,
    frontDoorPort: PORT,
    gateways: 3,
    prometheusPort: PROMETHEUS_PORT,
    alertmanagerPort: ALERTMANAGER_PORT,
  });
  base = stack.frontDoor;
  // Leftovers of an interrupted run would hold the port and the volume.
  await stack.down();
  try {
    await startCluster();
  } catch (err) {
    failed = true;
    throw err;
  }
}, 240_000);

async function startCluster() {
  const started = Date.now();
  await stack.compose(['up', '-d'], 180_000);
  // The API answers /ready once PostgreSQL and Redis do; a replica's /stats
  // counts the gateways announcing themselves in Redis; / is the web console.
  await eventually(
    async () => ((await http('/api/ready')).status === 200 ? true : undefined),
    'GET /api/ready through the front door',
    90_000,
    500,
  );
  await eventually(
    async () => ((await clusterReplicas()) === 3 ? true : undefined),
    'three gateway replicas',
    60_000,
    500,
  );
  await eventually(
    async () => ((await http('/')).status === 200 ? true : undefined),
    'GET / (web)',
    30_000,
    500,
  );
  console.log(`[compose] ${stack.command} up -> healthy front door in ${Date.now() - started} ms`);

  const login = await http('/api/auth/dev-login', { method: 'POST', json: { userId: 'admin' } });
  expect(login.status).toBe(200);
  token = ((await login.json()) as { token: string }).token;
  const branches = await http('/api/branches?limit=5');
  expect(branches.status).toBe(200);
  const first = ((await branches.json()) as { items: { id: string }[] }).items[0];
  if (!first) throw new Error('the seeded database has no branches');
  branchId = first.id;
}

afterEach((ctx) => {
  if (ctx.task.result?.state === 'fail') failed = true;
  for (const s of sockets.splice(0)) s.disconnect();
  for (const c of clients.splice(0)) c.disconnect();
});

afterAll(async () => {
  if (!stack) return;
  if (failed) console.error(`[compose] service logs:\n${await stack.logs(60)}`);
  await stack.down();
  console.log(
    `[compose] suite incl. teardown: ${((Date.now() - suiteStarted) / 1000).toFixed(1)} s`,
  );
}, 180_000);

describe('docker compose cluster behind HAProxy', () => {
  it('serves the web console and the API on one port, gateway stats only inside', async () => {
    const page = await http('/');
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(await page.text()).toMatch(/<html/i);
    expect((await http('/api/health')).status).toBe(200);
    expect((await http('/ws-stats')).status).toBe(403);
    const body = await gatewayStats();
    expect(new Set(body.replicas.map((r) => r.replicaId)).size).toBe(3);
  });

  it('delivers an API write to a WebSocket client and to a polling-only client', async () => {
    const ws = await connectRaw(['websocket']);
    const polling = await connectRaw(['polling']);
    expect(ws.socket.io.engine.transport.name).toBe('websocket');
    expect(polling.socket.io.engine.transport.name).toBe('polling');

    const id = await createClient('Compose Fan Out');
    await eventually(
      () => (ws.events.some((e) => e.id === id) ? true : undefined),
      'the write on the WebSocket client',
    );
    await eventually(
      () => (polling.events.some((e) => e.id === id) ? true : undefined),
      'the write on the polling client',
    );
    expect(ws.events.find((e) => e.id === id)).toMatchObject({
      resource: 'clients',
      action: 'created',
      branchId,
      version: 1,
    });
    expect(ws.troubles).toEqual([]);
    expect(polling.troubles).toEqual([]);
  });

  it("sends the API's queries through PgBouncer and keeps the relay's session direct", async () => {
    // Inside the postgres container: psql, the password, and Docker's DNS.
    const inPostgres = (script: string) =>
      stack.compose(['exec', '-T', 'postgres', 'sh', '-c', script], 30_000);
    // PgBouncer's own counters of the application database (admin console,
    // readable by stats_users): transactions it has carried.
    const pooledTransactions = async () => {
      const stats = await inPostgres(
        'PGPASSWORD="$POSTGRES_PASSWORD" psql -h pgbouncer -p 6432 -U "$POSTGRES_USER" -d pgbouncer -XAt -F "|" -c "SHOW STATS"',
      );
      const row = stats
        .trim()
        .split('\n')
        .map((line) => line.split('|'))
        .find((cols) => cols[0] === 'dynapharm');
      return Number(row?.[1] ?? Number.NaN);
    };
    const before = await pooledTransactions();
    expect(before).toBeGreaterThanOrEqual(0);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await createClient(`Compose Pooled ${i}`));
    const read = await http(`/api/clients/${ids[4]}`);
    expect(read.status).toBe(200);
    // SHOW STATS is refreshed every stats_period (60 s by default).
    await eventually(
      async () => ((await pooledTransactions()) >= before + 6 ? true : undefined),
      "PgBouncer's transaction count to include the five writes and the read",
      90_000,
      2_000,
    );

    // PostgreSQL's side: who holds which backend. The API's own address has
    // exactly one session, the relay's; everything else it asks comes from
    // PgBouncer's address.
    const sessions = await inPostgres(
      [
        'api=$(getent hosts api | cut -d" " -f1)',
        'bouncer=$(getent hosts pgbouncer | cut -d" " -f1)',
        "psql -U \"$POSTGRES_USER\" -d \"$POSTGRES_DB\" -XAt -F \"|\" -c \"SELECT CASE host(client_addr) WHEN '$api' THEN 'api' WHEN '$bouncer' THEN 'pgbouncer' ELSE 'other' END, application_name, count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() GROUP BY 1, 2 ORDER BY 1, 2\"",
      ].join(' && '),
    );
    const rows = sessions
      .trim()
      .split('\n')
      .map((line) => line.split('|'));
    const fromApi = rows.filter(([source]) => source === 'api');
    expect(fromApi).toEqual([['api', 'relay', '1']]);
    expect(rows.some(([source]) => source === 'pgbouncer')).toBe(true);
  });

  it('archives WAL continuously into pgBackRest, keeps a backup and exports its age', async () => {
    const inBackup = (args: string[]) => stack.compose(['exec', '-T', 'backup', ...args], 90_000);
    // The backup service takes the first full backup as soon as it starts.
    const info = await eventually(
      async () => {
        const stanzas = JSON.parse(await inBackup(['pgbackrest', '--output=json', 'info'])) as {
          status: { code: number; message: string };
          backup: { type: string; timestamp: { stop: number } }[];
        }[];
        return stanzas[0]?.backup.some((b) => b.type === 'full') ? stanzas[0] : undefined;
      },
      'a full backup in the pgBackRest repository',
      120_000,
      2_000,
    );
    expect(info.status.message).toBe('ok');

    // A write, then `pgbackrest check`: it switches the WAL segment and fails
    // unless archive_command delivered it into the repository.
    await createClient('Compose Backup');
    await inBackup(['pgbackrest', 'check']);
    const archiver = await stack.compose(
      [
        'exec',
        '-T',
        'postgres',
        'sh',
        '-c',
        'psql -U "$POSTGRES_USER" -d "$POSTGRES_DB" -XAt -c "SELECT archived_count, failed_count FROM pg_stat_archiver"',
      ],
      30_000,
    );
    const [archived = 0] = archiver.trim().split('|').map(Number);
    expect(archived).toBeGreaterThan(0);

    // What the backup-age alert scrapes, from inside the network.
    const metrics = await inBackup([
      'busybox',
      'wget',
      '-qO-',
      'http://127.0.0.1:9187/metrics.txt',
    ]);
    const value = (name: string) =>
      Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(metrics)?.[1] ?? Number.NaN);
    const newest = Math.max(...info.backup.map((b) => b.timestamp.stop));
    expect(value('dynapharm_backup_last_success_timestamp_seconds')).toBeGreaterThanOrEqual(newest);
    expect(value('dynapharm_backup_last_success_timestamp_seconds')).toBeGreaterThan(
      suiteStarted / 1000 - 60,
    );
    expect(value('dynapharm_wal_archive_last_success_timestamp_seconds')).toBeGreaterThan(0);
  });

  it('has Prometheus scrape every target up, the rules loaded and the Alertmanager wired', async () => {
    // Every job of infra/prometheus/prometheus.yml, each replica of the API and
    // the gateways found through Docker's DNS, all up (the gateways with the
    // metrics token).
    const jobs = ['api', 'gateway', 'redis', 'postgres', 'node', 'backup', 'haproxy'];
    const targets = await eventually(
      async () => {
        const data = await prometheusApi<{
          activeTargets: { labels: { job: string; instance: string }; health: string }[];
        }>('targets?state=active');
        const up = data.activeTargets.filter((t) => t.health === 'up');
        const byJob = (job: string) => up.filter((t) => t.labels.job === job).length;
        if (byJob('gateway') !== 3) return undefined;
        if (jobs.some((job) => byJob(job) === 0)) return undefined;
        if (up.length !== data.activeTargets.length) return undefined;
        return data.activeTargets;
      },
      'every Prometheus target up',
      120_000,
      1_000,
    ).catch(async (err) => {
      const data = await prometheusApi<unknown>('targets?state=active').catch((e) => e);
      throw new Error(`${(err as Error).message}\n${JSON.stringify(data, null, 1)}`);
    });
    expect(new Set(targets.map((t) => t.labels.job))).toEqual(
      new Set([...jobs, 'alertmanager', 'prometheus']),
    );

    // The rule files of infra/prometheus/rules, every rule evaluated without error.
    const alertsFile = readFileSync(join(repoRoot, 'infra/prometheus/rules/alerts.yml'), 'utf8');
    const alertCount = alertsFile.match(/^ {6}- alert: /gm)?.length ?? 0;
    const groups = await eventually(
      async () => {
        const data = await prometheusApi<{
          groups: { name: string; rules: { type: string; health: string; lastError?: string }[] }[];
        }>('rules');
        const rules = data.groups.flatMap((g) => g.rules);
        return rules.length > 0 && rules.every((r) => r.health === 'ok') ? data.groups : undefined;
      },
      'every rule evaluated (health ok)',
      60_000,
      1_000,
    );
    expect(groups.map((g) => g.name)).toEqual(
      expect.arrayContaining(['dynapharm-recording', 'dynapharm-relay', 'dynapharm-storage']),
    );
    const alerting = groups.flatMap((g) => g.rules).filter((r) => r.type === 'alerting');
    expect(alerting).toHaveLength(alertCount);

    const managers = await prometheusApi<{ activeAlertmanagers: unknown[] }>('alertmanagers');
    expect(managers.activeAlertmanagers).toHaveLength(1);

    // What the alerts read is there: one relay leader, the volumes' free
    // space, the backup age, and the latency of the write an earlier test made.
    // Recording rules run every 15 s: a rule evaluated before a target's first
    // scrape has no value yet, so each is read until it has one (3 rounds).
    const recorded = (query: string) =>
      eventually(async () => promValue(query), `a value of ${query}`, 45_000, 1_000);
    expect(await recorded('dynapharm:relay_leaders:sum')).toBe(1);
    const volumes = await eventually(
      async () => {
        const data = await prometheusApi<{ result: { metric: { volume: string } }[] }>(
          `query?query=${encodeURIComponent('dynapharm:volume_free:ratio')}`,
        );
        return data.result.length >= 2 ? data : undefined;
      },
      'dynapharm:volume_free:ratio of both volumes',
      45_000,
      1_000,
    );
    expect(volumes.result.map((r) => r.metric.volume).sort()).toEqual(['pgbackrest', 'pgdata']);
    expect(await recorded('sum(gateway_commit_to_client_seconds_count)')).toBeGreaterThan(0);
    expect(await recorded('dynapharm:relay_publish_lag:max')).toBe(0);

    // Both UIs are published on 127.0.0.1 only.
    expect((await stack.compose(['port', 'prometheus', '9090'])).trim()).toBe(
      `127.0.0.1:${PROMETHEUS_PORT}`,
    );
    expect((await stack.compose(['port', 'alertmanager', '9093'])).trim()).toBe(
      `127.0.0.1:${ALERTMANAGER_PORT}`,
    );
  });

  it('keeps a polling-only client on its replica for 30 s of long-polls', async () => {
    const polling = await connectRaw(['polling']);
    const replica = polling.hellos[0];
    const sid = polling.socket.id;
    // Each delivered write completes the pending long-poll, so the client
    // sends a new GET (carrying the affinity cookie) every 1.5 s; a request
    // routed to another replica would get 400 "Session ID unknown" and close
    // the session.
    const ids: string[] = [];
    const until = Date.now() + 30_000;
    while (Date.now() < until) {
      ids.push(await createClient(`Polling ${ids.length}`));
      await sleep(1_500);
    }
    await eventually(
      () => (ids.every((id) => polling.events.some((e) => e.id === id)) ? true : undefined),
      `all ${ids.length} writes on the polling client`,
    );
    console.log(
      `[compose] polling client: ${polling.polls} long-polls on ${replica} over 30 s, ${ids.length} writes received`,
    );
    expect(polling.troubles).toEqual([]);
    expect(polling.hellos).toEqual([replica]);
    expect(polling.socket.connected).toBe(true);
    expect(polling.socket.id).toBe(sid);
    expect(polling.polls).toBeGreaterThanOrEqual(ids.length);
  }, 60_000);

  it('loses no change while scripts/compose-rolling-restart.sh replaces all 3 gateways under writes', async () => {
    // Clients on every replica (leastconn), each resuming only by its
    // catch-up after a reconnect: the periodic safety net is off.
    const received = new Map<RealtimeClient, ChangeEvent[]>();
    const replicasSeen = new Map<RealtimeClient, string[]>();
    for (let i = 0; i < 12; i++) {
      const rt = new RealtimeClient({
        wsUrl: base,
        token,
        reconnectDelayMs: { min: 100, max: 1_000 },
        catchUpIntervalMs: 0,
      });
      clients.push(rt);
      const events: ChangeEvent[] = [];
      received.set(rt, events);
      replicasSeen.set(rt, []);
      rt.on('*', (_data, event) => {
        if (event.resource === 'clients' && 'offset' in event) events.push(event);
      });
      rt.onConnect(({ replicaId }) => replicasSeen.get(rt)?.push(replicaId ?? '?'));
      await rt.connect();
      await rt.subscribe(['clients']);
    }
    const before = new Set((await gatewayStats()).replicas.map((r) => r.replicaId));
    const oldContainers = await stack.containers('gateway');
    expect(oldContainers).toHaveLength(3);

    const written: string[] = [];
    const writeErrors: string[] = [];
    let writing = true;
    const writer = (async () => {
      while (writing) {
        try {
          written.push(await createClient(`Rolling ${written.length}`));
        } catch (err) {
          writeErrors.push((err as Error).message);
        }
        await sleep(150);
      }
    })();
    let output = '';
    try {
      await sleep(2_000);
      output = await stack.run(
        'bash',
        [join(repoRoot, 'scripts/compose-rolling-restart.sh')],
        300_000,
      );
      await sleep(2_000);
    } finally {
      writing = false;
      await writer;
    }
    console.log(`[compose] rolling restart:\n${output.trim()}`);

    // Three new containers, none of the old ones, and three new replica ids.
    const now = await stack.containers('gateway');
    expect(now).toHaveLength(3);
    expect(now.filter((id) => oldContainers.includes(id))).toEqual([]);
    const after = await eventually(
      async () => {
        const ids = (await gatewayStats()).replicas.map((r) => r.replicaId);
        return ids.length === 3 ? ids : undefined;
      },
      'three gateway replicas after the rolling restart',
      30_000,
      500,
    );
    expect(after.filter((id) => before.has(id))).toEqual([]);

    expect(writeErrors).toEqual([]);
    expect(written.length).toBeGreaterThan(50);
    for (const [rt, events] of received) {
      await eventually(
        () => (written.every((id) => events.some((e) => e.id === id)) ? true : undefined),
        `all ${written.length} writes on client ${clients.indexOf(rt)}`,
        30_000,
      );
      // Once each, in offset order.
      const ofWritten = events.filter((e) => written.includes(e.id));
      expect(ofWritten).toHaveLength(written.length);
      const offsets = ofWritten.map((e) => e.offset);
      expect(offsets).toEqual([...offsets].sort((a, b) => a - b));
    }
    // Every client sat on a replaced gateway, so every one moved and resumed.
    for (const seen of replicasSeen.values()) expect(seen.length).toBeGreaterThan(1);
    console.log(
      `[compose] rolling restart: ${written.length} writes, every one of ${clients.length} clients moved and has all of them once`,
    );
  }, 420_000);

  it('loses no change for RealtimeClients while gateways scale 3 → 5 → 2 under writes', async () => {
    // Several clients, so that leastconn puts some on the replicas that the
    // scale-down removes (compose drops the highest-numbered containers).
    const received = new Map<RealtimeClient, ChangeEvent[]>();
    const replicasSeen = new Map<RealtimeClient, string[]>();
    for (let i = 0; i < 9; i++) {
      const rt = new RealtimeClient({
        wsUrl: base,
        token,
        reconnectDelayMs: { min: 100, max: 1_000 },
        // Only resume-after-reconnect may fill gaps, not the periodic safety net.
        catchUpIntervalMs: 0,
      });
      clients.push(rt);
      const events: ChangeEvent[] = [];
      received.set(rt, events);
      replicasSeen.set(rt, []);
      rt.on('*', (_data, event) => {
        if (event.resource === 'clients' && 'offset' in event) events.push(event);
      });
      rt.onConnect(({ replicaId }) => replicasSeen.get(rt)?.push(replicaId ?? '?'));
      await rt.connect();
      await rt.subscribe(['clients']);
    }

    const written: string[] = [];
    const writeErrors: string[] = [];
    let writing = true;
    const writer = (async () => {
      while (writing) {
        try {
          written.push(await createClient(`Scaling ${written.length}`));
        } catch (err) {
          writeErrors.push((err as Error).message);
        }
        await sleep(150);
      }
    })();

    try {
      await sleep(2_000);
      await stack.compose(['up', '-d', '--no-recreate', '--scale', 'gateway=5'], 120_000);
      await eventually(
        async () => ((await clusterReplicas()) === 5 ? true : undefined),
        'five gateway replicas',
        60_000,
        500,
      );
      // Let HAProxy's DNS resolution (hold valid 5 s) put the new ones in rotation.
      await sleep(6_000);
      await stack.compose(['up', '-d', '--no-recreate', '--scale', 'gateway=2'], 120_000);
      expect(await stack.containers('gateway')).toHaveLength(2);
      await eventually(
        async () => ((await clusterReplicas()) === 2 ? true : undefined),
        'two gateway replicas',
        60_000,
        500,
      );
      await sleep(2_000);
    } finally {
      writing = false;
      await writer;
    }

    expect(writeErrors).toEqual([]);
    expect(written.length).toBeGreaterThan(50);
    for (const [rt, events] of received) {
      await eventually(
        () => (written.every((id) => events.some((e) => e.id === id)) ? true : undefined),
        `all ${written.length} writes on client ${clients.indexOf(rt)}`,
        30_000,
      );
      // Once each, in offset order.
      const ofWritten = events.filter((e) => written.includes(e.id));
      expect(ofWritten).toHaveLength(written.length);
      const offsets = ofWritten.map((e) => e.offset);
      expect(offsets).toEqual([...offsets].sort((a, b) => a - b));
    }
    const moved = [...replicasSeen.values()].filter((seen) => seen.length > 1).length;
    console.log(
      `[compose] scaling: ${written.length} writes, ${moved}/${clients.length} clients moved replica and resumed`,
    );
    // The resume path was exercised, not just steady delivery.
    expect(moved).toBeGreaterThan(0);
  }, 180_000);
});

describe('production-safe defaults of docker-compose.yml', () => {
  const secrets = {
    POSTGRES_PASSWORD: 'a'.repeat(8),
    AUTH_JWT_SECRET: 'b'.repeat(32),
    PUBLISH_TOKEN: 'c'.repeat(32),
    METRICS_TOKEN: 'd'.repeat(32),
  };

  it('refuses to start without the secrets `pnpm secrets` generates', async () => {
    const { AUTH_JWT_SECRET: _, ...rest } = secrets;
    await expect(stack.defaultConfig(rest)).rejects.toThrow(/pnpm secrets.*AUTH_JWT_SECRET/);
  });

  it('runs production with jwt auth, no demo data and the front door on 127.0.0.1', async () => {
    const config = await stack.defaultConfig(secrets);
    // v2 prints ports in the long syntax, v1.29 as `host:port:port`.
    expect(config).toMatch(/host_ip: 127\.0\.0\.1|127\.0\.0\.1:8080:8080/);
    expect(config).not.toMatch(/0\.0\.0\.0/);
    expect(config).toMatch(/NODE_ENV: production/);
    expect(config).not.toMatch(/NODE_ENV: development/);
    expect(config).toMatch(/AUTH_MODE: jwt/);
    expect(config).not.toMatch(/AUTH_MODE: dev/);
    expect(config).toMatch(/DB_SEED: ["']?false/);
  });

  it('publishes this run’s front door on 127.0.0.1 only', async () => {
    const address = (await stack.compose(['port', 'haproxy', '8080'])).trim();
    expect(address).toBe(`127.0.0.1:${PORT}`);
  });

  it.each(['api', 'gateway'])(
    '%s refuses the demo settings under NODE_ENV=production',
    async (service) => {
      // The suite's own settings (dev logins, demo data) with production flipped on.
      const run = stack.compose(
        ['run', '--rm', '--no-deps', '-T', '-e', 'NODE_ENV=production', service],
        60_000,
      );
      await expect(run).rejects.toThrow(/AUTH_MODE: dev[\s\S]*refused with NODE_ENV=production/);
      await expect(run).rejects.toThrow(/DB_SEED: demo data/);
    },
  );
});
