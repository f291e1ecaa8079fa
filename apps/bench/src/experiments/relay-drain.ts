import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import pg from 'pg';
import { entryPoints } from '../cluster/apps.ts';
import { prepareDatabase } from '../cluster/database.ts';
import { freePort } from '../infra/ports.ts';
import { startPostgres } from '../infra/postgres.ts';
import { spawnApp } from '../infra/processes.ts';
import { startRedis } from '../infra/redis.ts';

/**
 * The relay's ceiling (docs/scaling.md): how many `sync_log` rows per second
 * the single relay leader numbers and publishes when it has a backlog. The API
 * (relay on, `RELAY_BATCH_SIZE` as given) runs idle; then one transaction
 * inserts `rows` client records (the change-log trigger writes one pending
 * `sync_log` row each), and the clock runs from its COMMIT until every row has
 * `published_at`. A Redis subscriber on the relay's channels counts what was
 * published, as a cross-check. Repeated `rounds` times.
 *
 * Usage: node apps/bench/dist/experiments/relay-drain.js [rows=20000] [rounds=3] [batch=500]
 */
const rows = Number(process.argv[2] ?? 20_000);
const rounds = Number(process.argv[3] ?? 3);
const batch = Number(process.argv[4] ?? 500);

const resultsDir = fileURLToPath(new URL('../../results', import.meta.url));
mkdirSync(join(resultsDir, 'logs'), { recursive: true });
const postgres = await startPostgres(process.env.DATABASE_URL || undefined);
const redis = await startRedis(process.env.REDIS_URL || undefined);
const keyPrefix = `dynapharm-bench-relay-${process.pid}`;
const cleanups: (() => Promise<unknown>)[] = [() => postgres.close(), () => redis.close()];
try {
  const [branch] = await prepareDatabase(postgres.url, 1);
  const port = await freePort();
  // The bench's API settings (cluster/apps.ts), with the batch size under test.
  const api = await spawnApp({
    name: 'api-relay-drain',
    script: entryPoints.api,
    port,
    readyPath: '/ready',
    logDir: join(resultsDir, 'logs'),
    env: {
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_URL: postgres.url,
      REDIS_URL: redis.url,
      REDIS_KEY_PREFIX: keyPrefix,
      AUTH_JWT_SECRET: randomBytes(32).toString('hex'),
      AUTH_MODE: 'jwt',
      LOG_LEVEL: 'warn',
      RELAY_ENABLED: 'true',
      RELAY_BATCH_SIZE: String(batch),
    },
  });
  cleanups.unshift(() => api.stop());
  const subscriber = new Redis(redis.url);
  cleanups.unshift(async () => subscriber.disconnect());
  let messages = 0;
  await subscriber.psubscribe(`${keyPrefix}*`);
  subscriber.on('pmessageBuffer', () => {
    messages++;
  });
  const db = new pg.Client({ connectionString: postgres.url });
  await db.connect();
  cleanups.unshift(() => db.end());
  const results: { rows: number; ms: number; perSec: number; messages: number; load1: number }[] =
    [];
  for (let round = 1; round <= rounds; round++) {
    messages = 0;
    await db.query('BEGIN');
    await db.query(`SELECT set_config('dynapharm.actor', 'relay-drain', true)`);
    await db.query(
      `INSERT INTO clients (id, branch_id, full_name, notes)
       SELECT gen_random_uuid(), $1, 'Relay drain ' || n, repeat('x', 200)
         FROM generate_series(1, $2::int) AS n`,
      [branch, rows],
    );
    await db.query('COMMIT');
    const started = performance.now();
    for (;;) {
      const { rows: left } = await db.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM sync_log WHERE published_at IS NULL',
      );
      if ((left[0]?.n ?? 0) === 0) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    const ms = performance.now() - started;
    await new Promise((r) => setTimeout(r, 300));
    const result = {
      rows,
      ms: Math.round(ms),
      perSec: Math.round(rows / (ms / 1000)),
      messages,
      load1: Number(loadavg()[0]?.toFixed(2)),
    };
    results.push(result);
    console.log(
      `round ${round}: ${rows} rows numbered and published in ${result.ms} ms = ${result.perSec} rows/s (Redis saw ${messages} messages; load average ${result.load1})`,
    );
  }
  const best = Math.max(...results.map((r) => r.perSec));
  console.log(
    JSON.stringify({ experiment: 'relay-drain', batch, rows, rounds: results, bestPerSec: best }),
  );
} finally {
  for (const cleanup of cleanups) await cleanup().catch(() => {});
}
