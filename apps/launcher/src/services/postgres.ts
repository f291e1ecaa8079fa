import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  archiveFlags,
  type BackupLayout,
  backupLayout,
  type Owner,
  prepareBackupDirs,
} from '../backup/local-backup.ts';
import { type ManagedChild, startChild, tailOf } from '../process/child.ts';
import { freePort } from '../process/net.ts';
import { type EmbeddedBinaries, placeForPostgresUser } from './postgres-access.ts';
import { type PostgresServerConfig, urlOf } from './postgres-runner.ts';
import type { PostgresServerMessage } from './postgres-server.ts';

const helper = fileURLToPath(new URL('./postgres-server.js', import.meta.url));

export interface EmbeddedPostgresHandle {
  url: string;
  child: ManagedChild;
  /** Where the cluster lives (`<dataDir>/postgres` unless it had to move). */
  clusterDir: string;
  /** What was done to run it as root (binaries or data moved), for the operator. */
  notes: string[];
  /** Where its WAL archive and base backups live (`pnpm backup`). */
  backups: BackupLayout;
}

export interface EmbeddedPostgresOptions {
  dataDir: string;
  logDir: string;
  password: string;
  env: NodeJS.ProcessEnv;
  timeoutMs?: number;
  /** As root, where what the `postgres` user cannot reach goes (see postgres-access.ts). */
  relocationRoot?: string;
  binaries?: EmbeddedBinaries;
  /** Server settings for this start only (a restore's recovery target). */
  extraFlags?: string[];
}

/** What the helper process is started with. */
export interface EmbeddedPostgresPlan {
  config: PostgresServerConfig;
  /** The helper's working directory, which PostgreSQL inherits and must be able to enter. */
  cwd: string;
  clusterDir: string;
  notes: string[];
  backups: BackupLayout;
  /** Who PostgreSQL runs as when the launcher is root (files it must own). */
  owner?: Owner;
}

/** Decides where the cluster lives and how it runs (moving things first when root needs to). */
export async function planEmbeddedPostgres(
  options: EmbeddedPostgresOptions,
): Promise<EmbeddedPostgresPlan> {
  const pgDir = join(options.dataDir, 'postgres');
  let placement: ReturnType<typeof placeForPostgresUser>;
  try {
    placement = placeForPostgresUser({
      pgDir,
      binaries: options.binaries,
      relocationRoot: options.relocationRoot,
    });
  } catch (err) {
    throw new Error(`embedded PostgreSQL cannot run as root here: ${(err as Error).message}`);
  }
  const relocated = placement?.relocated ? placement : undefined;
  if (!relocated) mkdirSync(pgDir, { recursive: true });
  const clusterDir = relocated?.dataDir ?? pgDir;
  const owner = placement ? { uid: placement.user.uid, gid: placement.user.gid } : undefined;
  // Every start archives WAL, so `pnpm restore` can reach any moment after a base backup.
  const backups = backupLayout(clusterDir);
  prepareBackupDirs(backups, owner);
  const config: PostgresServerConfig = {
    dataDir: clusterDir,
    port: await freePort(),
    user: 'postgres',
    password: options.password,
    database: 'dynapharm',
    flags: [...archiveFlags(backups), ...(options.extraFlags ?? [])],
    ...(relocated && {
      runAs: { nativeDir: relocated.nativeDir, uid: relocated.user.uid, gid: relocated.user.gid },
    }),
  };
  const cwd = relocated ? dirname(clusterDir) : options.dataDir;
  return { config, cwd, clusterDir, notes: placement?.notes ?? [], backups, owner };
}

/**
 * Starts embedded PostgreSQL with its data under `<dataDir>/postgres`, kept
 * between runs, on a free port. Resolves once the `dynapharm` database exists.
 */
export async function startEmbeddedPostgres(
  options: EmbeddedPostgresOptions,
): Promise<EmbeddedPostgresHandle> {
  const { config, cwd, clusterDir, notes, backups } = await planEmbeddedPostgres(options);
  const child = startChild({
    name: 'postgres',
    command: process.execPath,
    args: [helper, JSON.stringify(config)],
    env: options.env,
    cwd,
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
  return { url: urlOf(config), child, clusterDir, notes, backups };
}
