import { randomUUID } from 'node:crypto';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createDb, demoUsers } from '@dynapharm/db';
import { RealtimeClient } from '@dynapharm/realtime-client';
import type { LiveChange } from '@dynapharm/types';
import { sleep } from '../process/net.ts';

/** Which part of a rolling-restart run an event or a reconnect fell in. */
export type Phase = 'before' | 'during' | 'after';

export interface RollingLoadOptions {
  /** The front door: clients connect and write through it, as browsers do. */
  url: string;
  connections: number;
  /** Writes per second, open loop (one `POST /api/clients`, one event to one branch room). */
  writesPerSec: number;
  /** Branch rooms to spread the clients over (the seed's branches, at most). */
  branches?: number;
  /** Connections opened at once while connecting. @default 100 */
  connectBatch?: number;
  /** Told about progress (one line at a time). */
  log?: (line: string) => void;
}

interface Tracked {
  rt: RealtimeClient;
  branchId: string;
  /** The stream head when this client first connected: it must get everything after it. */
  startOffset: number;
  offsets: number[];
  replicaId: string | undefined;
  /** Socket state and replica (`server:hello`) at the last sample. */
  connected: boolean;
  socketReplica: string | undefined;
}

export interface Percentiles {
  count: number;
  p50: number;
  p99: number;
  max: number;
}

export interface RollingFigures {
  connections: number;
  writesPerSec: number;
  branches: number;
  /** Clients on each gateway just before the restart. */
  clientsPerGateway: Record<string, number>;
  /**
   * Writes sent and failed (after up to 5 tries with the same Idempotency-Key),
   * the tries that failed on the way (e.g. the front door closing an idle
   * keep-alive connection at a reload), and the first few reasons.
   */
  writes: { sent: number; failed: number; retried: number; errors: string[] };
  /** Commit → client latency (ms) of events received in each phase. */
  latency: Record<Phase, Percentiles>;
  /**
   * Socket.IO reconnects (the socket connected again, sampled every 50 ms):
   * what the gateways and the front door take.
   */
  reconnects: {
    total: number;
    /** Highest count within one wall-clock second. */
    peakPerSec: number;
    /** Per second from the start of the restart (index 0 = its first second). */
    perSecond: number[];
  };
  /** Reconnected clients done with their catch-up (`onConnect`): what the API takes. */
  resumes: { total: number; peakPerSec: number; perSecond: number[] };
  /**
   * The gateways' side, from `/ws-stats` polled every second: connections
   * gained by replicas that are not draining, per second (each replica
   * announces its count about once a second, so this is smoothed over ~1 s).
   */
  arrivals: { peakPerSec: number; perSecond: number[] };
  /**
   * Event-loop delay of this process (ms): the client-side timestamps above
   * are late by up to this much when the load generator itself is saturated.
   */
  loadGeneratorLagMs: { p99: number; max: number };
  check: {
    /** Offsets `sync_log` holds for the clients' rooms that some client never applied. */
    lost: number;
    duplicates: number;
    /** Offsets applied that `sync_log` does not hold for that client's room. */
    foreign: number;
    clientsComplete: number;
    expectedChanges: number;
  };
}

const percentiles = (values: number[]): Percentiles => {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  return {
    count: sorted.length,
    p50: Math.round(at(0.5) * 10) / 10,
    p99: Math.round(at(0.99) * 10) / 10,
    max: sorted.at(-1) ?? 0,
  };
};

async function devLogin(url: string, userId: string): Promise<string> {
  const res = await fetch(`${url}/api/auth/dev-login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ userId }),
  });
  if (!res.ok) throw new Error(`dev-login as ${userId}: HTTP ${res.status} ${await res.text()}`);
  return ((await res.json()) as { token: string }).token;
}

/**
 * Socket.IO clients (`RealtimeClient`, WebSocket) spread over the seed's branch
 * rooms, and a writer creating client records in those branches at a steady
 * rate, both through the front door of a running cluster. It records when
 * each client (re)connects and each event's commit → client latency, and
 * checks at the end that every client applied exactly what `sync_log` holds
 * for its room. The periodic catch-up safety net is off: what a client missed
 * while moving comes from the catch-up after its reconnect alone.
 */
export async function startRollingLoad(options: RollingLoadOptions) {
  const log = options.log ?? (() => {});
  const managers = demoUsers
    .filter((u) => u.role === 'manager')
    .slice(0, options.branches ?? Number.POSITIVE_INFINITY);
  if (managers.length === 0) throw new Error('the seed has no branch managers');
  const tokens = new Map<string, string>();
  for (const m of managers) tokens.set(m.branches[0] ?? '', await devLogin(options.url, m.id));
  const branchIds = [...tokens.keys()];

  let phase: Phase = 'before';
  let restartStartedAt = 0;
  const latency: Record<Phase, number[]> = { before: [], during: [], after: [] };
  const reconnectTimes: number[] = [];
  const resumeTimes: number[] = [];
  const clients: Tracked[] = [];
  let restartGateways: Record<string, number> = {};

  const open = async (i: number) => {
    const branchId = branchIds[i % branchIds.length] ?? '';
    const rt = new RealtimeClient({
      wsUrl: options.url,
      token: tokens.get(branchId) ?? '',
      transports: ['websocket'],
      reconnectDelayMs: { min: 200, max: 5_000 },
      catchUpIntervalMs: 0,
    });
    const tracked: Tracked = {
      rt,
      branchId,
      startOffset: 0,
      offsets: [],
      replicaId: undefined,
      connected: false,
      socketReplica: undefined,
    };
    let connects = 0;
    rt.onConnect(({ replicaId }) => {
      tracked.replicaId = replicaId;
      if (connects++ > 0) resumeTimes.push(Date.now());
    });
    rt.on('*', (_data, event: LiveChange) => {
      if (!('offset' in event)) return;
      tracked.offsets.push(event.offset);
      latency[phase].push(Date.now() - Date.parse(event.at));
    });
    // Remembered, then sent on connect before the first catch-up takes the head.
    await rt.subscribe([`clients@${branchId}`]);
    await rt.connect();
    tracked.startOffset = rt.lastOffset;
    tracked.connected = true;
    tracked.socketReplica = rt.replicaId;
    clients.push(tracked);
  };
  const lag = monitorEventLoopDelay({ resolution: 10 });
  lag.enable();
  const statsSamples: { t: number; replicas: Map<string, { n: number; draining: boolean }> }[] = [];
  let polling = true;
  const poller = (async () => {
    while (polling) {
      const stats = await fetch(`${options.url}/ws-stats`, { signal: AbortSignal.timeout(3_000) })
        .then(
          (r) =>
            r.json() as Promise<{
              replicas: { replicaId: string; connections: number; draining: boolean }[];
            }>,
        )
        .catch(() => undefined);
      if (stats) {
        statsSamples.push({
          t: Date.now(),
          replicas: new Map(
            stats.replicas.map((r) => [r.replicaId, { n: r.connections, draining: r.draining }]),
          ),
        });
      }
      await sleep(1_000);
    }
  })();
  // The socket's own reconnects, before the catch-up that `onConnect` waits for.
  const sampler = setInterval(() => {
    const now = Date.now();
    for (const c of clients) {
      const connected = c.rt.isConnected;
      const replica = c.rt.replicaId;
      // A move to another replica counts even if it happened between two samples.
      if ((connected && !c.connected) || replica !== c.socketReplica) reconnectTimes.push(now);
      c.connected = connected;
      c.socketReplica = replica;
    }
  }, 50);

  const batch = options.connectBatch ?? 100;
  const openedAt = Date.now();
  for (let i = 0; i < options.connections; i += batch) {
    await Promise.all(
      Array.from({ length: Math.min(batch, options.connections - i) }, (_, k) => open(i + k)),
    );
  }
  log(
    `${clients.length} clients on ${branchIds.length} branch rooms in ${Date.now() - openedAt} ms`,
  );

  // Open-loop writer: a slow answer does not delay the next write.
  const written: string[] = [];
  let failed = 0;
  let sent = 0;
  let retried = 0;
  const errors: string[] = [];
  const failure = (why: string) => {
    failed++;
    if (errors.length < 5) errors.push(why);
  };
  const inFlight = new Set<Promise<void>>();
  const write = async (n: number) => {
    const branchId = branchIds[n % branchIds.length] ?? '';
    const id = randomUUID();
    // As a device would: retry a write whose answer was lost with the same key.
    const key = randomUUID();
    sent++;
    for (let attempt = 1; ; attempt++) {
      try {
        const res = await fetch(`${options.url}/api/clients`, {
          method: 'POST',
          headers: {
            authorization: `Bearer ${tokens.get(branchId)}`,
            'content-type': 'application/json',
            'idempotency-key': key,
          },
          body: JSON.stringify({ id, branchId, fullName: `Rolling ${n}` }),
          signal: AbortSignal.timeout(10_000),
        });
        const text = await res.text();
        if (res.status === 201) {
          written.push(id);
          return;
        }
        if (res.status < 500 || attempt >= 5) {
          return failure(`HTTP ${res.status} ${text.slice(0, 200)}`);
        }
        retried++;
      } catch (err) {
        const why = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
        if (attempt >= 5) return failure(why);
        retried++;
        if (errors.length < 5) errors.push(`(retried) ${why}`);
      }
      await sleep(200 * attempt);
    }
  };
  let writing = true;
  const writer = (async () => {
    const interval = 1000 / options.writesPerSec;
    const start = performance.now();
    for (let n = 0; writing; n++) {
      const due = start + n * interval;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      const p = write(n).finally(() => inFlight.delete(p));
      inFlight.add(p);
    }
  })();

  return {
    clients: () => clients,
    /** Starts the next phase: latencies and reconnects are attributed to it from now on. */
    mark(next: Phase) {
      phase = next;
      if (next === 'during') restartStartedAt = Date.now();
    },
    async stopWriting() {
      writing = false;
      await writer;
      await Promise.all(inFlight);
    },
    /**
     * Waits (up to `timeoutMs`) until the relay published every write and each
     * client applied every change of its room, then compares.
     */
    async check(databaseUrl: string, timeoutMs = 60_000): Promise<RollingFigures> {
      const db = createDb(databaseUrl, { max: 2 });
      try {
        const deadline = Date.now() + timeoutMs;
        const unpublished = async () => {
          const { rows } = await db.pool.query<{ n: number }>(
            `SELECT count(*)::int AS n FROM sync_log
              WHERE record_id = ANY($1::uuid[]) AND ("offset" IS NULL OR published_at IS NULL)`,
            [written],
          );
          return rows[0]?.n ?? 0;
        };
        while ((await unpublished()) > 0 && Date.now() < deadline) await sleep(200);
        const minStart = Math.min(...clients.map((c) => c.startOffset));
        const { rows } = await db.pool.query<{ offset: string; branch_id: string }>(
          `SELECT "offset", branch_id FROM sync_log
            WHERE resource = 'clients' AND "offset" > $1 AND branch_id = ANY($2::uuid[])
            ORDER BY "offset"`,
          [minStart, branchIds],
        );
        const byBranch = new Map<string, number[]>();
        for (const r of rows) {
          byBranch.set(r.branch_id, [...(byBranch.get(r.branch_id) ?? []), Number(r.offset)]);
        }
        const expectedOf = (c: Tracked) =>
          (byBranch.get(c.branchId) ?? []).filter((o) => o > c.startOffset);
        const complete = (c: Tracked) => {
          const got = new Set(c.offsets);
          return expectedOf(c).every((o) => got.has(o));
        };
        while (!clients.every(complete) && Date.now() < deadline) await sleep(200);

        let lost = 0;
        let duplicates = 0;
        let foreign = 0;
        let clientsComplete = 0;
        for (const c of clients) {
          const expected = new Set(expectedOf(c));
          const seen = new Set<number>();
          for (const o of c.offsets) {
            if (seen.has(o)) duplicates++;
            else if (!expected.has(o)) foreign++;
            seen.add(o);
          }
          const missing = [...expected].filter((o) => !seen.has(o)).length;
          lost += missing;
          if (missing === 0) clientsComplete++;
        }
        const rates = (times: number[]) => {
          const perSecond: number[] = [];
          for (const t of times) {
            const sec = Math.floor((t - restartStartedAt) / 1000);
            if (sec >= 0) perSecond[sec] = (perSecond[sec] ?? 0) + 1;
          }
          const buckets = new Map<number, number>();
          for (const t of times) {
            const sec = Math.floor(t / 1000);
            buckets.set(sec, (buckets.get(sec) ?? 0) + 1);
          }
          return {
            total: times.length,
            peakPerSec: Math.max(0, ...buckets.values()),
            perSecond: Array.from(perSecond, (k) => k ?? 0),
          };
        };
        polling = false;
        await poller;
        const arrivals: number[] = [];
        let peakArrivals = 0;
        for (let i = 1; i < statsSamples.length; i++) {
          const prev = statsSamples[i - 1];
          const cur = statsSamples[i];
          if (!prev || !cur || cur.t < restartStartedAt) continue;
          let gained = 0;
          for (const [id, r] of cur.replicas) {
            if (!r.draining) gained += Math.max(0, r.n - (prev.replicas.get(id)?.n ?? 0));
          }
          const perSec = Math.round(gained / ((cur.t - prev.t) / 1000));
          arrivals.push(perSec);
          peakArrivals = Math.max(peakArrivals, perSec);
        }
        return {
          connections: clients.length,
          writesPerSec: options.writesPerSec,
          branches: branchIds.length,
          clientsPerGateway: restartGateways,
          writes: { sent, failed, retried, errors },
          latency: {
            before: percentiles(latency.before),
            during: percentiles(latency.during),
            after: percentiles(latency.after),
          },
          reconnects: rates(reconnectTimes),
          resumes: rates(resumeTimes),
          arrivals: { peakPerSec: peakArrivals, perSecond: arrivals },
          loadGeneratorLagMs: {
            p99: Math.round(lag.percentile(99) / 1e6),
            max: Math.round(lag.max / 1e6),
          },
          check: {
            lost,
            duplicates,
            foreign,
            clientsComplete,
            expectedChanges: clients.reduce((n, c) => n + expectedOf(c).length, 0),
          },
        };
      } finally {
        await db.close();
      }
    },
    /** Counts the clients per gateway; call right before the restart. */
    snapshotGateways() {
      restartGateways = {};
      for (const c of clients) {
        const id = c.replicaId ?? '?';
        restartGateways[id] = (restartGateways[id] ?? 0) + 1;
      }
      return restartGateways;
    },
    close() {
      clearInterval(sampler);
      lag.disable();
      polling = false;
      for (const c of clients) c.rt.disconnect();
    },
  };
}

export type RollingLoad = Awaited<ReturnType<typeof startRollingLoad>>;
