// Measures RPO and RTO of the pgBackRest setup on this machine (the figures in
// docs/operations.md "Backups and restore"):
//
//   pnpm --filter @dynapharm/backup-tests measure [archive_timeout seconds] [rounds]
//
// Each round: a PostgreSQL 15 lab (lab.ts) with the given archive_timeout and
// a full backup; a writer commits one row every 20 ms; after a random time
// between 0.5 and 2.5 archive_timeouts the database is "lost" (killed, data directory deleted: the WAL not yet
// archived is gone with it). RPO = commit time of the newest row the writer
// saw committed minus that of the newest row the restore brought back. RTO =
// from the loss until an API process on the restored database answers
// /ready (pgBackRest restore to the end of the archive, recovery with
// promotion, API start).
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { runMigrations } from '@dynapharm/db';
import { freePort, startRedis } from '@dynapharm/testkit';
import pg from 'pg';
import { startBackupLab } from './lab.ts';

const apiMain = fileURLToPath(new URL('../../../apps/api/dist/main.js', import.meta.url));

const archiveTimeout = Number(process.argv[2] ?? 60);
const rounds = Number(process.argv[3] ?? 3);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Starts the built API (`pnpm build`) on the database; resolves when /ready answers 200. */
async function startApi(databaseUrl: string, redisUrl: string) {
  const port = await freePort();
  const child = spawn(process.execPath, [apiMain], {
    env: {
      ...process.env,
      NODE_ENV: 'development',
      PORT: String(port),
      DATABASE_URL: databaseUrl,
      REDIS_URL: redisUrl,
      AUTH_JWT_SECRET: 'measure-rpo-rto-secret-0123456789abcdef',
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  for (let i = 0; i < 1_200; i++) {
    const res = await fetch(`http://127.0.0.1:${port}/ready`).catch(() => undefined);
    if (res?.status === 200) return child;
    if (child.exitCode !== null) throw new Error(`the API exited with ${child.exitCode}`);
    await sleep(50);
  }
  child.kill('SIGKILL');
  throw new Error('the API did not answer /ready within 60 s');
}

async function round(n: number, redisUrl: string) {
  const lab = await startBackupLab({ archiveTimeoutSeconds: archiveTimeout });
  try {
    await lab.query('CREATE DATABASE dynapharm');
    const url = lab.url('dynapharm');
    await runMigrations(url);
    await lab.query(
      'CREATE TABLE ticks (id serial PRIMARY KEY, at timestamptz NOT NULL)',
      'dynapharm',
    );
    await lab.backup('full');

    const writer = new pg.Client({ connectionString: url });
    writer.on('error', () => {});
    await writer.connect();
    let lastCommitted: Date | undefined;
    let writing = true;
    const loop = (async () => {
      while (writing) {
        try {
          const { rows } = await writer.query<{ at: Date }>(
            'INSERT INTO ticks (at) VALUES (clock_timestamp()) RETURNING at',
          );
          lastCommitted = rows[0]?.at;
        } catch {
          return;
        }
        await sleep(20);
      }
    })();
    await sleep(archiveTimeout * 1_000 * (0.5 + Math.random() * 2));
    writing = false;
    await loop;
    const lostAt = Date.now();
    await lab.loseDatabase();
    await writer.end().catch(() => {});

    await lab.restore();
    const restoredAt = Date.now();
    const api = await startApi(url, redisUrl);
    const ready = Date.now();
    const [newest] = await lab.query<{ at: Date | null; n: string }>(
      'SELECT max(at) AS at, count(*) AS n FROM ticks',
      'dynapharm',
    );
    api.kill('SIGTERM');
    const rpo = lastCommitted && newest?.at ? lastCommitted.getTime() - newest.at.getTime() : NaN;
    console.log(
      `round ${n}: archive_timeout=${archiveTimeout}s rows restored=${newest?.n} RPO=${(rpo / 1000).toFixed(2)} s ` +
        `(newest committed ${lastCommitted?.toISOString()}, newest restored ${newest?.at?.toISOString()}) ` +
        `RTO=${((ready - lostAt) / 1000).toFixed(2)} s (restore+recovery ${((restoredAt - lostAt) / 1000).toFixed(2)} s, API ${((ready - restoredAt) / 1000).toFixed(2)} s)`,
    );
  } finally {
    await lab.close();
  }
}

const redis = await startRedis({ mode: 'local' });
try {
  for (let i = 1; i <= rounds; i++) await round(i, redis.url);
} finally {
  await redis.close();
}
process.exit(0);
