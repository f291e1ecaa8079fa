import { chownSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ManagedChild, startChild, tailOf } from '../process/child.ts';
import { findExecutable, isPortOpen, sleep } from '../process/net.ts';

export const NO_PGBOUNCER_HELP =
  'PGBOUNCER=true needs Debian’s pgbouncer package (sudo apt-get install pgbouncer)';

export interface PgBouncerOptions {
  /** PATH to find `pgbouncer` on (Debian puts it in /usr/sbin). */
  path: string;
  logDir: string;
  env: NodeJS.ProcessEnv;
  /** The cluster's PostgreSQL; its user and password are PgBouncer's too. */
  databaseUrl: string;
  /** Where PgBouncer listens, on 127.0.0.1. */
  port: number;
  /** Server connections per database and user. @default 20 */
  poolSize?: number;
}

export interface LocalPgBouncer {
  child: ManagedChild;
  /** `databaseUrl` through PgBouncer: the API's DATABASE_URL. */
  url: string;
}

/** `pgbouncer.ini` of the local cluster: one PostgreSQL, transaction pooling, SCRAM. */
export function pgbouncerConfig(options: {
  databaseUrl: string;
  port: number;
  authFile: string;
  poolSize: number;
}): string {
  const server = new URL(options.databaseUrl);
  return `; Written by the launcher (npm start with PGBOUNCER=true); rewritten at each start.
[databases]
* = host=${server.hostname} port=${server.port || 5432}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = ${options.port}
unix_socket_dir =
auth_type = scram-sha-256
auth_file = ${options.authFile}
stats_users = ${decodeURIComponent(server.username)}
pool_mode = transaction
default_pool_size = ${options.poolSize}
max_client_conn = 1000
`;
}

/**
 * Starts Debian's PgBouncer in transaction mode on 127.0.0.1 in front of the
 * cluster's PostgreSQL. Its configuration and password file live in a private
 * temporary directory; PgBouncer refuses root, so a root launcher runs it as
 * `nobody`.
 */
export async function startLocalPgBouncer(options: PgBouncerOptions): Promise<LocalPgBouncer> {
  const binary = findExecutable('pgbouncer', options.path);
  if (!binary) throw new Error(NO_PGBOUNCER_HELP);
  const server = new URL(options.databaseUrl);
  const quote = (s: string) => `"${s.replaceAll('"', '""')}"`;
  const dir = mkdtempSync(join(tmpdir(), 'dynapharm-pgbouncer-'));
  const authFile = join(dir, 'userlist.txt');
  writeFileSync(
    authFile,
    `${quote(decodeURIComponent(server.username))} ${quote(decodeURIComponent(server.password))}\n`,
    { mode: 0o600 },
  );
  const configFile = join(dir, 'pgbouncer.ini');
  writeFileSync(
    configFile,
    pgbouncerConfig({
      databaseUrl: options.databaseUrl,
      port: options.port,
      authFile,
      poolSize: options.poolSize ?? 20,
    }),
    { mode: 0o600 },
  );
  const nobody = { uid: 65_534, gid: 65_534 };
  const asRoot = process.getuid?.() === 0;
  if (asRoot) for (const f of [dir, authFile, configFile]) chownSync(f, nobody.uid, nobody.gid);
  const child = startChild({
    name: 'pgbouncer',
    command: binary,
    args: [configFile],
    cwd: dir,
    env: options.env,
    logFile: join(options.logDir, 'pgbouncer.log'),
    ...(asRoot ? { user: nobody } : {}),
  });
  void child.exited.then(() => rmSync(dir, { recursive: true, force: true }));
  const deadline = Date.now() + 15_000;
  while (!(await isPortOpen(options.port))) {
    if (!child.isRunning() || Date.now() > deadline) {
      await child.stop('SIGTERM', 2_000);
      throw new Error(`PgBouncer did not listen on :${options.port}\n${tailOf(child.logFile)}`);
    }
    await sleep(50);
  }
  const url = new URL(options.databaseUrl);
  url.hostname = '127.0.0.1';
  url.port = String(options.port);
  return { child, url: url.toString() };
}
