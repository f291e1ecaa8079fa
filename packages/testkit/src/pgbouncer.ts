import { type ChildProcess, spawn } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, isPortOpen, terminate } from './process-control.ts';

/** Debian's `pgbouncer` package puts the binary here. */
export const PGBOUNCER_BIN = process.env.PGBOUNCER_BIN ?? '/usr/sbin/pgbouncer';

export interface StartPgBouncerOptions {
  /** PostgreSQL URL whose host, port, user and password PgBouncer uses (any database). */
  serverUrl: string;
  /** @default 'transaction' */
  poolMode?: 'session' | 'transaction' | 'statement';
  /** Server connections per database and user. @default 2 */
  poolSize?: number;
}

export interface PgBouncerServer {
  readonly port: number;
  /** `url` with PgBouncer's host and port instead of PostgreSQL's (same user, password, database). */
  pooled(url: string): string;
  /** URL of PgBouncer's admin console (`SHOW POOLS`, `SHOW STATS`; simple queries only). */
  readonly adminUrl: string;
  /** Stops the process (SIGTERM, then SIGKILL) and removes its directory. */
  stop(): Promise<void>;
}

/**
 * Starts Debian's PgBouncer on a free loopback port in front of the PostgreSQL
 * of `serverUrl`, every database passed through, with SCRAM between the client
 * and PgBouncer and the URL's password towards PostgreSQL; resolves once it
 * listens. PgBouncer refuses to run as root: as root it runs as `nobody`.
 */
export async function startPgBouncer(options: StartPgBouncerOptions): Promise<PgBouncerServer> {
  if (!existsSync(PGBOUNCER_BIN)) {
    throw new Error(`${PGBOUNCER_BIN} is missing: install Debian's pgbouncer package`);
  }
  const server = new URL(options.serverUrl);
  const user = decodeURIComponent(server.username);
  const password = decodeURIComponent(server.password);
  const quote = (s: string) => `"${s.replaceAll('"', '""')}"`;
  const dir = mkdtempSync(join(tmpdir(), 'pgbouncer-test-'));
  const port = await freePort();
  writeFileSync(join(dir, 'userlist.txt'), `${quote(user)} ${quote(password)}\n`);
  writeFileSync(
    join(dir, 'pgbouncer.ini'),
    [
      '[databases]',
      `* = host=${server.hostname.replace(/^\[|\]$/g, '')} port=${server.port || 5432}`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      'unix_socket_dir =',
      'auth_type = scram-sha-256',
      `auth_file = ${join(dir, 'userlist.txt')}`,
      `admin_users = ${user}`,
      `pool_mode = ${options.poolMode ?? 'transaction'}`,
      `default_pool_size = ${options.poolSize ?? 2}`,
      'max_client_conn = 500',
      // Clients wait for a server connection rather than fail.
      'query_wait_timeout = 60',
      '',
    ].join('\n'),
  );
  const asRoot = process.getuid?.() === 0;
  const nobody = 65_534;
  if (asRoot) {
    for (const f of ['', 'userlist.txt', 'pgbouncer.ini']) chownSync(join(dir, f), nobody, nobody);
  }
  let output = '';
  const child: ChildProcess = spawn(PGBOUNCER_BIN, [join(dir, 'pgbouncer.ini')], {
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(asRoot ? { uid: nobody, gid: nobody } : {}),
  });
  const keep = (chunk: unknown) => {
    output = (output + String(chunk)).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const stop = async () => {
    await terminate(child);
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 15_000;
  while (!(await isPortOpen(port))) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`pgbouncer exited with ${child.exitCode}:\n${output}`);
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`pgbouncer did not listen within 15 s:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const pooled = (url: string) => {
    const u = new URL(url);
    u.hostname = '127.0.0.1';
    u.port = String(port);
    return u.toString();
  };
  const admin = new URL(pooled(options.serverUrl));
  admin.pathname = '/pgbouncer';
  return { port, pooled, adminUrl: admin.toString(), stop };
}
