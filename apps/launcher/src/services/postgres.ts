import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ManagedChild, startChild, tailOf } from '../process/child.ts';
import { freePort } from '../process/net.ts';
import type { PostgresServerConfig, PostgresServerMessage } from './postgres-server.ts';

const helper = fileURLToPath(new URL('./postgres-server.js', import.meta.url));

export interface EmbeddedPostgresHandle {
  url: string;
  child: ManagedChild;
}

/**
 * Starts embedded PostgreSQL with its data under `<dataDir>/postgres`, kept
 * between runs, on a free port. Resolves once the `dynapharm` database exists.
 */
export async function startEmbeddedPostgres(options: {
  dataDir: string;
  logDir: string;
  password: string;
  env: NodeJS.ProcessEnv;
  timeoutMs?: number;
}): Promise<EmbeddedPostgresHandle> {
  const pgDir = join(options.dataDir, 'postgres');
  mkdirSync(pgDir, { recursive: true });
  const config: PostgresServerConfig = {
    dataDir: pgDir,
    port: await freePort(),
    user: 'postgres',
    password: options.password,
    database: 'dynapharm',
  };
  const child = startChild({
    name: 'postgres',
    command: process.execPath,
    args: [helper, JSON.stringify(config)],
    env: options.env,
    cwd: options.dataDir,
    logFile: join(options.logDir, 'postgres.log'),
    ipc: true,
  });
  const timeoutMs = options.timeoutMs ?? 120_000;
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`not ready after ${timeoutMs / 1000} s`)),
        timeoutMs,
      );
      child.process.on('message', (message: PostgresServerMessage) => {
        clearTimeout(timer);
        if ('ready' in message) resolve();
        else reject(new Error(message.error));
      });
      void child.exited.then(({ code }) => {
        clearTimeout(timer);
        reject(new Error(`exited with code ${code}`));
      });
    });
  } catch (err) {
    await child.stop('SIGTERM', 5_000);
    const reason = err instanceof Error ? err.message : String(err);
    throw new Error(`embedded PostgreSQL failed: ${reason}\n${tailOf(child.logFile)}`);
  }
  // The IPC channel stays open: its closing tells the helper the launcher is gone.
  const url = `postgres://${config.user}:${encodeURIComponent(config.password)}@127.0.0.1:${config.port}/${config.database}`;
  return { url, child };
}
