// A PostgreSQL 15 server run as a local process from the Debian binaries, with
// continuous WAL archiving into a pgBackRest repository of its own: the same
// recipe the compose stack uses (infra/docker/stand-ins/postgres), in a temp
// directory, on a free port. As root, PostgreSQL and pgBackRest run as the
// `postgres` system user (PostgreSQL refuses root).
import { spawn, spawnSync } from 'node:child_process';
import { chownSync, existsSync, readdirSync } from 'node:fs';
import { appendFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@dynapharm/testkit';
import pg from 'pg';

/** Where the server binaries are (Debian's postgresql-15 package). */
export const PG_BINDIR = process.env.PG_BINDIR ?? '/usr/lib/postgresql/15/bin';
export const STANZA = 'dynapharm';

export interface BackupLab {
  port: number;
  dir: string;
  /** Connection URL of `database` (trust auth on 127.0.0.1, user postgres). */
  url(database?: string): string;
  /** Runs one statement on `database` (default `postgres`) and returns its rows. */
  query<T extends pg.QueryResultRow>(sql: string, database?: string): Promise<T[]>;
  /** Runs pgbackrest with this lab's config and stanza; rejects with its output on failure. */
  pgbackrest(...args: string[]): Promise<string>;
  backup(type: 'full' | 'incr' | 'diff'): Promise<void>;
  /** Closes the current WAL segment and waits until pgBackRest has archived it. */
  archiveNow(): Promise<void>;
  /** The WAL timeline the server writes on (1 on a new cluster, +1 per recovery). */
  timeline(): Promise<number>;
  /** "Loses the database": kills the server (no shutdown checkpoint) and deletes the data directory. */
  loseDatabase(): Promise<void>;
  /**
   * Restores the latest backup into the empty data directory, replaying the
   * archive to the end, or up to `to` (a timestamp PostgreSQL parses), then
   * starts the server and waits until recovery has promoted it.
   */
  restore(options?: { to?: string }): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
}

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

function postgresUser() {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) => {
    const res = spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' });
    const n = Number.parseInt(res.stdout ?? '', 10);
    if (res.status !== 0 || !Number.isInteger(n)) {
      throw new Error('running as root needs a `postgres` system user (Debian postgresql-common)');
    }
    return n;
  };
  return { uid: id('-u'), gid: id('-g') };
}

function run(command: string, args: string[], user: ReturnType<typeof postgresUser>, cwd: string) {
  return new Promise<Ran>((resolve, reject) => {
    const child = spawn(command, args, {
      cwd,
      ...(user ?? {}),
      env: { ...process.env, LC_MESSAGES: 'C', PGTZ: 'UTC' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString('utf8');
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString('utf8');
    });
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

async function must(ran: Promise<Ran>, what: string) {
  const { code, stdout, stderr } = await ran;
  if (code !== 0) throw new Error(`${what} exited with ${code}:\n${stdout}${stderr}`);
  return stdout;
}

async function query<T extends pg.QueryResultRow>(url: string, sql: string) {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
  client.on('error', () => {});
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

async function until(check: () => Promise<boolean>, what: string, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      if (await check()) return;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}${last ? ` (${String(last)})` : ''}`);
}

export async function startBackupLab(
  options: { archiveTimeoutSeconds?: number } = {},
): Promise<BackupLab> {
  for (const bin of [join(PG_BINDIR, 'postgres'), '/usr/bin/pgbackrest']) {
    if (!existsSync(bin)) {
      throw new Error(
        `${bin} is missing: the backup tests need Debian's postgresql-15 and pgbackrest packages (README Requirements)`,
      );
    }
  }
  const user = postgresUser();
  const dir = await mkdtemp(join(tmpdir(), 'dynapharm-backup-'));
  const data = join(dir, 'data');
  const config = join(dir, 'pgbackrest.conf');
  const port = await freePort();
  for (const sub of ['data', 'repo', 'log', 'lock', 'spool']) await mkdir(join(dir, sub));
  await writeFile(
    config,
    [
      '[global]',
      `repo1-path=${join(dir, 'repo')}`,
      'repo1-retention-full=2',
      `log-path=${join(dir, 'log')}`,
      `lock-path=${join(dir, 'lock')}`,
      `spool-path=${join(dir, 'spool')}`,
      'log-level-console=warn',
      'log-level-file=info',
      'start-fast=y',
      '',
      `[${STANZA}]`,
      `pg1-path=${data}`,
      `pg1-socket-path=${dir}`,
      `pg1-port=${port}`,
      '',
    ].join('\n'),
  );
  if (user) {
    for (const path of [dir, config, ...readdirSync(dir).map((f) => join(dir, f))]) {
      chownSync(path, user.uid, user.gid);
    }
  }
  const url = (database = 'postgres') => `postgres://postgres@127.0.0.1:${port}/${database}`;
  const bin = (name: string) => join(PG_BINDIR, name);
  const pgbackrest = (...args: string[]) =>
    must(
      run('pgbackrest', [`--config=${config}`, `--stanza=${STANZA}`, ...args], user, dir),
      `pgbackrest ${args.join(' ')}`,
    );
  let running = false;

  const start = async () => {
    await must(
      run(
        bin('pg_ctl'),
        ['start', '-D', data, '-w', '-t', '60', '-l', join(dir, 'log', 'postgres.log')],
        user,
        dir,
      ),
      'pg_ctl start',
    );
    running = true;
    // pg_ctl returns once connections are accepted; a recovering server
    // accepts them before it has promoted (read-only until then).
    await until(
      async () =>
        (await query<{ r: boolean }>(url(), 'SELECT pg_is_in_recovery() AS r'))[0]?.r === false,
      'the server to leave recovery',
      60_000,
    );
  };
  const stop = async (mode: 'fast' | 'immediate') => {
    if (!running) return;
    await must(
      run(bin('pg_ctl'), ['stop', '-D', data, '-m', mode, '-w'], user, dir),
      'pg_ctl stop',
    );
    running = false;
  };

  await must(
    run(
      bin('initdb'),
      ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C'],
      user,
      dir,
    ),
    'initdb',
  );
  await appendFile(
    join(data, 'postgresql.conf'),
    [
      '',
      '# backup lab (tests/backup/src/lab.ts)',
      `port = ${port}`,
      "listen_addresses = '127.0.0.1'",
      `unix_socket_directories = '${dir}'`,
      'wal_level = replica',
      'archive_mode = on',
      `archive_command = 'pgbackrest --config=${config} --stanza=${STANZA} archive-push %p'`,
      `archive_timeout = ${options.archiveTimeoutSeconds ?? 60}`,
      "timezone = 'UTC'",
      '',
    ].join('\n'),
  );
  try {
    await start();
    await pgbackrest('stanza-create');
  } catch (err) {
    await stop('immediate').catch(() => {});
    await rm(dir, { recursive: true, force: true });
    throw err;
  }

  return {
    port,
    dir,
    url,
    query: (sql, database) => query(url(database), sql),
    pgbackrest,
    start,
    async backup(type) {
      await pgbackrest(`--type=${type}`, 'backup');
      // pgBackRest keeps a backup's stop time in whole seconds, and a time
      // target must lie after it: a target taken within the same second finds
      // no backup set ("unable to find backup set with stop time less than …").
      await new Promise((r) => setTimeout(r, 1_100));
    },
    async archiveNow() {
      const [row] = await query<{ wal: string }>(
        url(),
        'SELECT pg_walfile_name(pg_switch_wal()) AS wal',
      );
      const wal = row?.wal ?? '';
      await until(
        async () => {
          const [s] = await query<{ last: string | null }>(
            url(),
            'SELECT last_archived_wal AS last FROM pg_stat_archiver',
          );
          return (s?.last ?? '') >= wal;
        },
        `WAL segment ${wal} to be archived`,
        30_000,
      );
    },
    async timeline() {
      const [row] = await query<{ tli: string }>(
        url(),
        'SELECT substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8) AS tli',
      );
      return Number.parseInt(row?.tli ?? '', 16);
    },
    async loseDatabase() {
      await stop('immediate');
      for (const entry of readdirSync(data)) await rm(join(data, entry), { recursive: true });
    },
    async restore({ to } = {}) {
      const target = to ? ['--type=time', `--target=${to}`, '--target-action=promote'] : [];
      await pgbackrest(...target, 'restore');
      await start();
    },
    async close() {
      await stop('immediate').catch(() => {});
      await rm(dir, { recursive: true, force: true });
    },
  };
}
