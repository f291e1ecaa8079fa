import { randomUUID } from 'node:crypto';
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
  writes: { sent: number; failed: number };
  /** Commit → client latency (ms) of events received in each phase. */
  latency: Record<Phase, Percentiles>;
  reconnects: {
    total: number;
    /** Highest count of reconnects that completed within one wall-clock second. */
    peakPerSec: number;
    /** Reconnects per second from the start of the restart (index 0 = its first second). */
    perSecond: number[];
  };
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
    const tracked: Tracked = { rt, branchId, startOffset: 0, offsets: [], replicaId: undefined };
    let connects = 0;
    rt.onConnect(({ replicaId }) => {
      tracked.replicaId = replicaId;
      if (connects++ > 0) reconnectTimes.push(Date.now());
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
    clients.push(tracked);
  };

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
  const inFlight = new Set<Promise<void>>();
  const write = async (n: number) => {
    const branchId = branchIds[n % branchIds.length] ?? '';
    const id = randomUUID();
    sent++;
    try {
      const res = await fetch(`${options.url}/api/clients`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${tokens.get(branchId)}`,
          'content-type': 'application/json',
          'idempotency-key': randomUUID(),
        },
        body: JSON.stringify({ id, branchId, fullName: `Rolling ${n}` }),
        signal: AbortSignal.timeout(10_000),
      });
      await res.arrayBuffer();
      if (res.status === 201) written.push(id);
      else failed++;
    } catch {
      failed++;
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
        const perSecond: number[] = [];
        for (const t of reconnectTimes) {
          const s = Math.floor((t - restartStartedAt) / 1000);
          if (s >= 0) perSecond[s] = (perSecond[s] ?? 0) + 1;
        }
        const buckets = new Map<number, number>();
        for (const t of reconnectTimes) {
          const s = Math.floor(t / 1000);
          buckets.set(s, (buckets.get(s) ?? 0) + 1);
        }
        return {
          connections: clients.length,
          writesPerSec: options.writesPerSec,
          branches: branchIds.length,
          clientsPerGateway: restartGateways,
          writes: { sent, failed },
          latency: {
            before: percentiles(latency.before),
            during: percentiles(latency.during),
            after: percentiles(latency.after),
          },
          reconnects: {
            total: reconnectTimes.length,
            peakPerSec: Math.max(0, ...buckets.values()),
            perSecond: Array.from(perSecond, (n) => n ?? 0),
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
      for (const c of clients) c.rt.disconnect();
    },
  };
}

export type RollingLoad = Awaited<ReturnType<typeof startRollingLoad>>;
