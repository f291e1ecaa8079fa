import { randomUUID } from 'node:crypto';
import { signToken } from '@dynapharm/auth';
import { createDb, runMigrations, seedDatabase } from '@dynapharm/db';
import { RealtimeClient } from '@dynapharm/realtime-client';
import {
  type FaultProxy,
  freePort,
  redisNamespace,
  stack,
  startFaultProxy,
  startPostgres,
  startRedis,
  type TestServer,
} from '@dynapharm/testkit';
import type { ChangeEvent } from '@dynapharm/types';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Service, startService } from './processes.ts';

const SECRET = 'fault-suite-secret-0123456789abcdefghij';
const PUBLISH_TOKEN = 'fault-suite-publish-token-0123456789';

let postgres: TestServer;
let redis: TestServer;
let pgProxy: FaultProxy;
let redisProxy: FaultProxy;
const apis: Service[] = [];
const gateways: Service[] = [];
let apiEnv: Record<string, string>;
let gatewayEnv: Record<string, string>;
let branchId: string;
let token: string;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function startApi(i: number, port?: number) {
  apis[i] = await startService('api', `api-${i}`, port ?? (await freePort()), apiEnv);
}
async function startGateway(i: number, port?: number) {
  gateways[i] = await startService('gateway', `gw-${i}`, port ?? (await freePort()), {
    ...gatewayEnv,
    REPLICA_ID: `gw-${i}`,
  });
}

beforeAll(async () => {
  const mode = stack().mode;
  [postgres, redis] = await Promise.all([
    startPostgres({ mode, durable: true }),
    startRedis({ mode }),
  ]);
  await runMigrations(postgres.url);
  const seeded = createDb(postgres.url, { max: 2 });
  await seedDatabase(seeded.db, { clientsPerBranch: 2, ordersPerBranch: 1, reportDays: 1 });
  const { rows } = await seeded.pool.query<{ id: string }>('SELECT id FROM branches LIMIT 1');
  await seeded.close();
  branchId = rows[0]?.id ?? '';
  pgProxy = await startFaultProxy(postgres.url);
  redisProxy = await startFaultProxy(redis.url);
  const prefix = `${redisNamespace('faults')}socket.io`;
  apiEnv = {
    DATABASE_URL: pgProxy.url,
    REDIS_URL: redisProxy.url,
    REDIS_KEY_PREFIX: prefix,
    AUTH_JWT_SECRET: SECRET,
    RELAY_POLL_MS: '200',
    WRITE_RATE_LIMIT_PER_MINUTE: '100000',
    READ_RATE_LIMIT_PER_MINUTE: '100000',
  };
  gatewayEnv = {
    REDIS_URL: redisProxy.url,
    REDIS_KEY_PREFIX: prefix,
    AUTH_JWT_SECRET: SECRET,
    PUBLISH_TOKEN,
    DRAIN_TIMEOUT_MS: '2000',
    DRAIN_SPREAD_MS: '1000',
  };
  await Promise.all([startApi(0), startApi(1), startGateway(0), startGateway(1), startGateway(2)]);
  token = await signToken({ sub: 'fault-admin', role: 'admin', branches: [] }, { secret: SECRET });
});

afterAll(async () => {
  await Promise.allSettled([...apis, ...gateways].map((s) => s?.kill()));
  await Promise.allSettled([pgProxy?.close(), redisProxy?.close()]);
  await Promise.allSettled([postgres?.close(), redis?.close()]);
});

/**
 * One write that must land exactly once whatever fails on the way: the same
 * Idempotency-Key is retried against either API until an answer comes back.
 */
async function writeUntilLanded(body: () => { path: string; method: string; json: unknown }) {
  const key = randomUUID();
  const { path, method, json } = body();
  const deadline = Date.now() + 60_000;
  for (let attempt = 0; Date.now() < deadline; attempt++) {
    const api = apis[attempt % apis.length];
    try {
      const res = await fetch(`${api?.url}${path}`, {
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
      // In progress elsewhere (its API may have died): ask again. A version
      // conflict on our own record means an earlier attempt already landed.
      if (res.status < 500 && answer.error?.code !== 'idempotency_in_progress') return answer;
    } catch {
      // API down, killed, or its database unreachable: try again.
    }
    await sleep(100);
  }
  throw new Error(`write ${path} never landed`);
}

async function leaderIndex() {
  for (const [i, api] of apis.entries()) {
    const ready = await fetch(`${api.url}/ready`).then(
      (r) => r.json() as Promise<{ relayLeader?: boolean }>,
      () => ({ relayLeader: false }),
    );
    if (ready.relayLeader) return i;
  }
  return -1;
}

describe('fault injection', () => {
  it('loses nothing and applies nothing twice through crashes, restarts, latency and resets', async () => {
    const clients = gateways.map((_, i) => {
      const urls = gateways.map((_, j) => gateways[(i + j) % gateways.length]?.url ?? '');
      const rt = new RealtimeClient({
        wsUrl: urls,
        apiUrl: apis[i % apis.length]?.url,
        token,
        reconnectDelayMs: { min: 100, max: 1500 },
        transports: ['websocket'],
        catchUpIntervalMs: 3000,
      });
      const applied: ChangeEvent[] = [];
      rt.on('*', (_d, e) => {
        if ('offset' in e) applied.push(e);
      });
      return { rt, applied };
    });
    for (const { rt } of clients) {
      await rt.connect();
      await rt.subscribe(['clients']);
    }
    const startOffset = Math.min(...clients.map((c) => c.rt.lastOffset));

    let writing = true;
    const written: string[] = [];
    const writer = (async () => {
      while (writing) {
        const created = await writeUntilLanded(() => ({
          path: '/api/clients',
          method: 'POST',
          json: { id: randomUUID(), branchId, fullName: `Fault ${written.length}` },
        }));
        written.push(created.id);
        await writeUntilLanded(() => ({
          path: `/api/clients/${created.id}`,
          method: 'PATCH',
          json: { version: 1, notes: 'touched under faults' },
        }));
      }
    })();
    const log: string[] = [];
    const step = async (name: string, fn: () => Promise<unknown>) => {
      const at = Date.now();
      await fn();
      await sleep(1500);
      log.push(`${name} (${Date.now() - at} ms, ${written.length} records so far)`);
    };

    await sleep(1000);
    await step('latency 40 ms on Redis and PostgreSQL links', async () => {
      redisProxy.setLatency(40);
      pgProxy.setLatency(40);
      await sleep(2000);
      redisProxy.setLatency(0);
      pgProxy.setLatency(0);
    });
    await step('Redis link stalled for 2 s', async () => {
      redisProxy.stall();
      await sleep(2000);
      redisProxy.resume();
    });
    await step('connection resets on both links', async () => {
      redisProxy.resetAll();
      pgProxy.resetAll();
    });
    await step('kill -9 gateway 0, restart it', async () => {
      const port = gateways[0]?.port;
      await gateways[0]?.kill();
      await sleep(1000);
      await startGateway(0, port);
    });
    await step('kill -9 the relay leader, restart it', async () => {
      const leader = await leaderIndex();
      expect(leader).toBeGreaterThanOrEqual(0);
      const port = apis[leader]?.port;
      await apis[leader]?.kill();
      await sleep(2000);
      await startApi(leader, port);
    });
    await step('Redis restart', () => redis.restart());
    await step('PostgreSQL restart', () => postgres.restart());
    await step('Redis paused for 2 s', async () => {
      await redis.pause();
      await sleep(2000);
      await redis.unpause();
    });

    writing = false;
    await writer;
    console.log(`[faults]\n  ${log.join('\n  ')}`);

    // The checker: sync_log is the truth of what was published.
    const db = new pg.Client({ connectionString: postgres.url });
    db.on('error', () => {});
    await db.connect();
    // First let the relay number every logged change of the written records,
    // then wait for every client to have applied all of them.
    const deadline = Date.now() + 60_000;
    const pending = async () => {
      const { rows } = await db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM sync_log
          WHERE record_id = ANY($1::uuid[]) AND ("offset" IS NULL OR published_at IS NULL)`,
        [written],
      );
      return rows[0]?.n ?? 0;
    };
    while ((await pending()) > 0 && Date.now() < deadline) await sleep(200);
    const { rows: logged } = await db.query<{ offset: string; record_id: string; version: number }>(
      `SELECT "offset", record_id, version FROM sync_log
        WHERE resource = 'clients' AND "offset" > $1 AND record_id = ANY($2::uuid[])
        ORDER BY "offset"`,
      [startOffset, written],
    );
    const expected = logged.map((r) => ({ ...r, offset: Number(r.offset) }));
    const complete = () =>
      clients.every((c) => {
        const got = new Set(c.applied.map((e) => e.offset));
        return expected.every((row) => got.has(row.offset));
      });
    while (!complete() && Date.now() < deadline) await sleep(200);
    const { rows: unnumbered } = await db.query(
      `SELECT count(*)::int AS n FROM sync_log WHERE record_id = ANY($1::uuid[]) AND "offset" IS NULL`,
      [written],
    );
    await db.end();
    for (const [i, { rt, applied }] of clients.entries()) {
      const got = applied.filter((e) => written.includes(e.id)).length;
      const state = `connected=${rt.isConnected} replica=${rt.replicaId} lastOffset=${rt.lastOffset}`;
      console.log(`[faults] client ${i}: applied ${got}/${expected.length} ${state}`);
    }
    for (const { rt } of clients) rt.disconnect();

    expect(written.length).toBeGreaterThan(20);
    expect(unnumbered[0]).toEqual({ n: 0 });
    // Exactly one create and one update per record: retries never doubled a write.
    expect(expected).toHaveLength(written.length * 2);
    for (const c of clients) {
      const mine = c.applied.filter((e) => written.includes(e.id));
      // Zero lost, zero applied twice, in offset order.
      expect(mine.map((e) => e.offset)).toEqual(expected.map((e) => e.offset));
      // Per record, versions applied in order.
      const last = new Map<string, number>();
      for (const e of mine) {
        expect(e.version).toBeGreaterThan(last.get(e.id) ?? 0);
        last.set(e.id, e.version);
      }
    }
  }, 240_000);
});
