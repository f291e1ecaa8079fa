import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { createDb, seedDatabase } from '@dynapharm/db';
import { createRelay, type Relay } from '@dynapharm/outbox';
import {
  createTestDatabase,
  type IsolatedDatabase,
  type PgBouncerServer,
  redisNamespace,
  stack,
  startPgBouncer,
} from '@dynapharm/testkit';
import type { ChangeEvent, ChangesPage } from '@dynapharm/types';
import pg from 'pg';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from './testing/harness.ts';

// Two API processes whose requests go through a real PgBouncer in transaction
// mode with two server connections, while their relays keep a direct session
// (RELAY_DATABASE_URL). Polling is pushed out: only the after-commit signal
// (in-process, or one NOTIFY through PgBouncer) wakes the relay.

const POOL_SIZE = 2;
const WRITES = 30;

let database: IsolatedDatabase;
let bouncer: PgBouncerServer;
let leader: TestApi;
let other: TestApi;
let admin: string;
let head0 = 0;
const created = new Map<string, string>(); // Idempotency-Key → client id
/** What the leader's relay published, in order, as Redis confirmed it. */
const published: ChangeEvent[] = [];

async function direct<T extends pg.QueryResultRow>(sql: string, params: unknown[] = []) {
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  try {
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

/** A query on PgBouncer's admin console (simple protocol, no parameters). */
async function adminConsole<T extends pg.QueryResultRow>(sql: string) {
  const client = new pg.Client({ connectionString: bouncer.adminUrl });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

async function until(what: string, check: () => Promise<boolean>, ms = 10_000) {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

beforeAll(async () => {
  database = await createTestDatabase();
  const seeded = createDb(database.url, { max: 2 });
  await seedDatabase(seeded.db, { clientsPerBranch: 2, ordersPerBranch: 1, reportDays: 1 });
  await seeded.close();
  bouncer = await startPgBouncer({ serverUrl: database.url, poolSize: POOL_SIZE });
  const env = {
    DATABASE_URL: bouncer.pooled(database.url),
    RELAY_DATABASE_URL: database.url,
    RELAY_POLL_MS: 600_000,
  };
  leader = await startTestApi({
    database,
    env,
    relayOptions: { onPublished: (changes) => published.push(...changes) },
  });
  await until('a relay leader', async () => leader.api.relay.isLeader());
  other = await startTestApi({ database, keyPrefix: leader.keyPrefix, env });
  admin = await leader.token('admin');
  // The seed's changes are out before the test counts anything.
  await until('the seed published', async () => {
    const rows = await direct<{ n: string }>(
      'SELECT count(*) AS n FROM sync_log WHERE published_at IS NULL',
    );
    return Number(rows[0]?.n) === 0;
  });
  head0 = Number((await direct<{ head: string }>('SELECT head FROM relay_state'))[0]?.head);
}, 120_000);

afterAll(async () => {
  await other?.close();
  await leader?.close();
  await bouncer?.stop();
  await database?.drop();
});

describe('the API through PgBouncer in transaction mode', () => {
  it('applies concurrent idempotent writes exactly once and reads them back', async () => {
    const branchId = leader.branches[0]?.id;
    const keys = Array.from({ length: WRITES }, () => randomUUID());
    // Every key twice at once, once through each API process.
    const attempts = keys.flatMap((key, i) =>
      [leader, other].map(async (api) => {
        const res = await api.request('/api/clients', {
          method: 'POST',
          token: admin,
          headers: { 'idempotency-key': key },
          json: { branchId, fullName: `Pooled ${i}` },
        });
        return { key, status: res.status, body: (await res.json()) as { id: string } };
      }),
    );
    const answers = await Promise.all(attempts);
    for (const key of keys) {
      const both = answers.filter((a) => a.key === key);
      expect(both.map((a) => a.status)).toEqual([201, 201]);
      expect(both[0]?.body).toEqual(both[1]?.body);
      created.set(key, both[0]?.body.id as string);
    }
    const ids = [...created.values()];
    expect(new Set(ids).size).toBe(WRITES);

    // One logged change per key, despite the doubled requests.
    const logged = await direct<{ n: string }>(
      'SELECT count(*) AS n FROM sync_log WHERE record_id = ANY($1::uuid[])',
      [ids],
    );
    expect(Number(logged[0]?.n)).toBe(WRITES);

    for (const [i, id] of ids.entries()) {
      const api = i % 2 === 0 ? leader : other;
      const res = await api.request(`/api/clients/${id}`, { token: admin });
      expect(res.status).toBe(200);
      expect(((await res.json()) as { id: string }).id).toBe(id);
    }

    // The connections were shared: the API processes opened more clients than
    // PostgreSQL saw backends from PgBouncer.
    expect(leader.api.pool.totalCount + other.api.pool.totalCount).toBeGreaterThan(POOL_SIZE);
    const pools = await adminConsole<Record<string, string>>('SHOW POOLS');
    const pool = pools.find((p) => p.database === database.name);
    expect(pool?.pool_mode).toBe('transaction');
    const servers = ['sv_active', 'sv_idle', 'sv_used', 'sv_tested', 'sv_login'].reduce(
      (sum, col) => sum + Number(pool?.[col] ?? 0),
      0,
    );
    expect(servers).toBeGreaterThan(0);
    expect(servers).toBeLessThanOrEqual(POOL_SIZE);
    const backends = await direct<{ app: string; n: string }>(
      `SELECT application_name AS app, count(*) AS n FROM pg_stat_activity
        WHERE datname = current_database() AND pid <> pg_backend_pid()
        GROUP BY 1 ORDER BY 1`,
    );
    const pooledBackends = backends
      .filter((b) => b.app !== 'relay')
      .reduce((sum, b) => sum + Number(b.n), 0);
    expect(pooledBackends).toBeLessThanOrEqual(POOL_SIZE);
  });

  it('has the directly connected relay number every change once, in order, and publish it', async () => {
    const ids = [...created.values()];
    expect(ids).toHaveLength(WRITES);
    await until('every write published', async () => {
      const rows = await direct<{ n: string }>(
        `SELECT count(*) AS n FROM sync_log
          WHERE record_id = ANY($1::uuid[]) AND "offset" IS NOT NULL AND published_at IS NOT NULL`,
        [ids],
      );
      return Number(rows[0]?.n) === WRITES;
    });
    const offsets = (
      await direct<{ offset: string }>(
        `SELECT "offset" FROM sync_log WHERE "offset" > $1 ORDER BY "offset"`,
        [head0],
      )
    ).map((r) => Number(r.offset));
    expect(offsets).toEqual(Array.from({ length: offsets.length }, (_, i) => head0 + 1 + i));
    expect(offsets.length).toBeGreaterThanOrEqual(WRITES);

    // On the bus: every write once, in offset order, with the offset the log has.
    const sent = published.filter((c) => ids.includes(c.id));
    expect(sent.map((c) => c.id).sort()).toEqual([...ids].sort());
    const sentOffsets = sent.map((c) => c.offset);
    expect(sentOffsets).toEqual([...sentOffsets].sort((a, b) => a - b));
    const logged = await direct<{ id: string; offset: string }>(
      `SELECT record_id AS id, "offset" FROM sync_log WHERE record_id = ANY($1::uuid[])`,
      [ids],
    );
    for (const row of logged) {
      expect(sent.find((c) => c.id === row.id)?.offset).toBe(Number(row.offset));
    }

    // What a client catching up reads, through PgBouncer: all of them, in offset order.
    const res = await other.request(`/api/changes?after=${head0}&resources=clients&limit=500`, {
      token: admin,
    });
    expect(res.status).toBe(200);
    const page = (await res.json()) as ChangesPage;
    const seen = page.changes.filter((c) => ids.includes(c.id));
    expect(new Set(seen.map((c) => c.id)).size).toBe(WRITES);
    const pageOffsets = page.changes.map((c) => c.offset);
    expect(pageOffsets).toEqual([...pageOffsets].sort((a, b) => a - b));
    expect(leader.api.relay.isLeader()).toBe(true);
    expect(other.api.relay.isLeader()).toBe(false);
  });

  it('wakes the leader with a NOTIFY sent through PgBouncer by the other process', async () => {
    const res = await other.request('/api/clients', {
      method: 'POST',
      token: admin,
      json: { branchId: other.branches[0]?.id, fullName: 'Notified through PgBouncer' },
    });
    expect(res.status).toBe(201);
    const { id } = (await res.json()) as { id: string };
    // Polling is every 10 minutes: only the NOTIFY can have woken the leader.
    await until(
      'the write published',
      async () =>
        (
          await direct<{ n: string }>(
            'SELECT count(*) AS n FROM sync_log WHERE record_id = $1 AND published_at IS NOT NULL',
            [id],
          )
        )[0]?.n === '1',
      3_000,
    );
  });
});

describe('a relay whose session goes through PgBouncer', () => {
  let fresh: IsolatedDatabase;
  const relays: Relay[] = [];
  beforeAll(async () => {
    fresh = await createTestDatabase();
  });
  afterAll(async () => {
    for (const r of relays) await r.close();
    await fresh?.drop();
  });

  function relayOn(url: string, lines: string[]) {
    const relay = createRelay({
      databaseUrl: url,
      bus: {
        redisUrl: stack().redisUrl,
        adapter: 'classic',
        keyPrefix: `${redisNamespace('sio')}socket.io`,
      },
      logger: pino(
        { level: 'info' },
        new Writable({
          write(chunk, _enc, done) {
            lines.push(String(chunk));
            done();
          },
        }),
      ),
      leaderRetryMs: 100,
    });
    relays.push(relay);
    relay.start();
    return relay;
  }

  it('would share its advisory lock with anyone: two pooled clients both "hold" it', async () => {
    // What a transaction pooler does to a session-level lock: the backend
    // keeps it after the statement, and the next client handed that backend
    // takes it again (advisory locks are re-entrant within one session).
    const url = bouncer.pooled(fresh.url);
    const first = new pg.Client({ connectionString: url });
    const second = new pg.Client({ connectionString: url });
    await first.connect();
    await second.connect();
    try {
      const a = await first.query<{ ok: boolean }>('SELECT pg_try_advisory_lock(4242) AS ok');
      const b = await second.query<{ ok: boolean }>('SELECT pg_try_advisory_lock(4242) AS ok');
      expect([a.rows[0]?.ok, b.rows[0]?.ok]).toEqual([true, true]);
    } finally {
      await first.end();
      await second.end();
    }
  });

  it('refuses to lead, saying why; on PostgreSQL itself it leads', async () => {
    const pooledLog: string[] = [];
    const pooled = relayOn(bouncer.pooled(fresh.url), pooledLog);
    await until('the refusal in the log', async () =>
      pooledLog.some((l) => l.includes('relay refuses a pooled session')),
    );
    expect(pooled.isLeader()).toBe(false);
    expect(pooledLog.join('\n')).toMatch(/RELAY_DATABASE_URL/);

    const directLog: string[] = [];
    const directRelay = relayOn(fresh.url, directLog);
    await until('the direct relay to lead', async () => directRelay.isLeader());
    expect(pooled.isLeader()).toBe(false);
    expect(directLog.join('\n')).not.toMatch(/pooled session/);
  });
});
