// Backups of the launcher's embedded PostgreSQL (`pnpm backup`, `pnpm restore`;
// docs/operations.md "Backups and restore"). pgBackRest is what the compose
// stack uses, but the embedded server is PostgreSQL 17 and ships only initdb,
// pg_ctl and postgres (no pg_basebackup), while Debian bookworm's pgBackRest
// (2.45) stops at PostgreSQL 15. So this follows PostgreSQL's own
// "continuous archiving" recipe with nothing but the server:
//
// - archive_command copies every completed WAL segment, gzip-compressed, into
//   `wal/` (always on; archive_timeout bounds how old the newest archived
//   commit can be);
// - a base backup is a copy of the cluster directory taken between
//   pg_backup_start() and pg_backup_stop() (the non-exclusive low-level API),
//   with the backup_label pg_backup_stop() returns, in `base/<label>/`;
// - a restore copies the newest base backup (finished before the target) into
//   a fresh cluster directory and starts it with recovery.signal,
//   restore_command and, for a point in time, recovery_target_time; recovery
//   promotes the server onto a new timeline (which renews the change stream's
//   epoch, docs/architecture.md).
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  copyFileSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { createDb } from '@dynapharm/db';
import { z } from 'zod';

/** Where a cluster's backups live: next to the cluster directory. */
export interface BackupLayout {
  root: string;
  /** Archived WAL segments (archive_command writes here). */
  wal: string;
  /** One directory per base backup, plus `<label>.json` describing it. */
  base: string;
  /** Prometheus text file with the backup age (node_exporter textfile format). */
  metrics: string;
}

export interface Owner {
  uid: number;
  gid: number;
}

export function backupLayout(clusterDir: string): BackupLayout {
  const root = join(dirname(clusterDir), 'postgres-backups');
  return {
    root,
    wal: join(root, 'wal'),
    base: join(root, 'base'),
    metrics: join(root, 'metrics.prom'),
  };
}

/** Creates the backup directories, owned by the user PostgreSQL runs as. */
export function prepareBackupDirs(layout: BackupLayout, owner?: Owner) {
  for (const dir of [layout.root, layout.wal, layout.base]) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    if (owner) chownSync(dir, owner.uid, owner.gid);
  }
}

const quoted = (path: string) => {
  if (path.includes("'")) throw new Error(`backup paths cannot contain a quote: ${path}`);
  return `'${path}'`;
};

/**
 * Server settings for continuous archiving into `layout.wal`. Segments are
 * stored gzip-compressed (`<segment>.gz`): a segment closed early by
 * archive_timeout is 16 MB, mostly zeros, and a running cluster closes one a
 * minute (the relay writes every few seconds), so uncompressed the archive
 * would grow by about 1 GB an hour; compressed such a segment is some 20 KB.
 * A segment already in the archive counts as archived only when it holds the
 * same bytes (PostgreSQL may push one again after a crash); a new one is
 * written under a temporary name, flushed, then renamed, so a half-written
 * segment never looks archived.
 */
export function archiveFlags(layout: BackupLayout, archiveTimeoutSeconds = 60): string[] {
  const dest = (suffix = '') => quoted(`${layout.wal}/%f.gz${suffix}`);
  const command =
    `if test -f ${dest()}; then gzip -dc ${dest()} | cmp -s - %p; ` +
    `else gzip -1 -c %p > ${dest('.part')} && sync ${dest('.part')} && mv ${dest('.part')} ${dest()}; fi`;
  return [
    '-c',
    'wal_level=replica',
    '-c',
    'archive_mode=on',
    '-c',
    `archive_command=${command}`,
    '-c',
    `archive_timeout=${archiveTimeoutSeconds}`,
  ];
}

const backupInfoSchema = z.object({
  label: z.string(),
  startLsn: z.string(),
  startWal: z.string(),
  stopLsn: z.string(),
  timeline: z.number().int(),
  startedAt: z.string(),
  finishedAt: z.string(),
  bytes: z.number().int(),
});

/** What `<base>/<label>.json` records about one base backup. */
export type BaseBackupInfo = z.infer<typeof backupInfoSchema>;

/** The base backups of `layout`, oldest first. */
export function listBackups(layout: BackupLayout): BaseBackupInfo[] {
  if (!existsSync(layout.base)) return [];
  return readdirSync(layout.base)
    .filter((f) => f.endsWith('.json'))
    .flatMap((f) => {
      const parsed = backupInfoSchema.safeParse(
        JSON.parse(readFileSync(join(layout.base, f), 'utf8')),
      );
      return parsed.success && existsSync(join(layout.base, parsed.data.label))
        ? [parsed.data]
        : [];
    })
    .sort((a, b) => a.finishedAt.localeCompare(b.finishedAt));
}

// Contents PostgreSQL's documentation says to leave out of a base backup
// (recreated empty, or rebuilt during recovery).
const EMPTY_DIRS = new Set([
  'pg_wal',
  'pg_replslot',
  'pg_dynshmem',
  'pg_notify',
  'pg_serial',
  'pg_snapshots',
  'pg_stat_tmp',
  'pg_subtrans',
]);
const SKIP_FILES = new Set([
  'postmaster.pid',
  'postmaster.opts',
  'backup_label',
  'tablespace_map',
  'recovery.signal',
  'standby.signal',
]);

/** Copies a live cluster directory; files that vanish meanwhile are fine (WAL replay covers them). */
function copyCluster(from: string, to: string, top = true): number {
  mkdirSync(to, { recursive: true, mode: 0o700 });
  let bytes = 0;
  for (const name of readdirSync(from)) {
    if (top && SKIP_FILES.has(name)) continue;
    if (name.startsWith('pgsql_tmp')) continue;
    const src = join(from, name);
    const dst = join(to, name);
    try {
      const st = lstatSync(src);
      if (st.isDirectory()) {
        if (top && EMPTY_DIRS.has(name)) mkdirSync(dst, { mode: 0o700 });
        else bytes += copyCluster(src, dst, false);
      } else if (st.isFile()) {
        copyFileSync(src, dst);
        bytes += st.size;
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  return bytes;
}

function chownTree(path: string, owner: Owner) {
  chownSync(path, owner.uid, owner.gid);
  if (!lstatSync(path).isDirectory()) return;
  for (const name of readdirSync(path)) chownTree(join(path, name), owner);
}

/**
 * Takes a base backup of the running server at `url` (a superuser) whose
 * cluster lives in `clusterDir`, then keeps the newest `retention` backups and
 * the WAL they need, and rewrites the metrics file.
 */
export async function takeBaseBackup(options: {
  url: string;
  clusterDir: string;
  layout: BackupLayout;
  retention?: number;
}): Promise<BaseBackupInfo> {
  const { layout } = options;
  const startedAt = new Date();
  const label = `base-${startedAt.toISOString().replace(/[:.]/g, '-')}`;
  const target = join(layout.base, label);
  const partial = `${target}.partial`;
  const { pool, close } = createDb(options.url, { max: 1, applicationName: 'dynapharm-backup' });
  try {
    const client = await pool.connect();
    try {
      // pg_backup_start/stop must run in one session; ending it aborts the backup.
      const { rows: started } = await client.query<{ lsn: string; wal: string; tli: number }>(
        `SELECT lsn::text, pg_walfile_name(lsn) AS wal,
                (SELECT timeline_id FROM pg_control_checkpoint()) AS tli
           FROM pg_backup_start($1, true) AS lsn`,
        [label],
      );
      const start = started[0];
      if (!start) throw new Error('pg_backup_start returned nothing');
      rmSync(partial, { recursive: true, force: true });
      const bytes = copyCluster(options.clusterDir, partial);
      // Waits until the WAL the backup needs is archived.
      const { rows: stopped } = await client.query<{
        lsn: string;
        labelfile: string;
        spcmapfile: string;
      }>('SELECT lsn::text, labelfile, spcmapfile FROM pg_backup_stop(true)');
      const stop = stopped[0];
      if (!stop) throw new Error('pg_backup_stop returned nothing');
      writeFileSync(join(partial, 'backup_label'), stop.labelfile);
      if (stop.spcmapfile) writeFileSync(join(partial, 'tablespace_map'), stop.spcmapfile);
      renameSync(partial, target);
      const info: BaseBackupInfo = {
        label,
        startLsn: start.lsn,
        startWal: start.wal,
        stopLsn: stop.lsn,
        timeline: Number(start.tli),
        startedAt: startedAt.toISOString(),
        finishedAt: new Date().toISOString(),
        bytes,
      };
      writeFileSync(join(layout.base, `${label}.json`), `${JSON.stringify(info, null, 2)}\n`);
      expireBackups(layout, options.retention ?? 7);
      writeBackupMetrics(layout);
      return info;
    } catch (err) {
      rmSync(partial, { recursive: true, force: true });
      throw err;
    } finally {
      client.release(true);
    }
  } finally {
    await close();
  }
}

/** Keeps the newest `retention` base backups and the archived WAL from the oldest kept one on. */
export function expireBackups(layout: BackupLayout, retention: number) {
  const backups = listBackups(layout);
  const expired = backups.slice(0, Math.max(0, backups.length - retention));
  for (const b of expired) {
    rmSync(join(layout.base, b.label), { recursive: true, force: true });
    rmSync(join(layout.base, `${b.label}.json`), { force: true });
  }
  const oldest = backups[expired.length];
  if (!oldest) return;
  for (const name of readdirSync(layout.wal)) {
    // Segments (24 hex digits, maybe with a .backup or .partial part) before the oldest
    // kept backup's first one; timeline history files are always kept.
    if (/^[0-9A-F]{24}/.test(name) && name.slice(0, 24) < oldest.startWal) {
      rmSync(join(layout.wal, name), { force: true });
    }
  }
}

/**
 * Writes the backup-age metrics for Prometheus (textfile format): the time the
 * newest base backup finished and the time of the newest archived WAL segment.
 */
export function writeBackupMetrics(layout: BackupLayout) {
  const newest = listBackups(layout).at(-1);
  const lastBackup = newest ? Math.floor(Date.parse(newest.finishedAt) / 1000) : 0;
  let lastWal = 0;
  if (existsSync(layout.wal)) {
    for (const name of readdirSync(layout.wal)) {
      if (!/^[0-9A-F]{24}\.gz$/.test(name)) continue;
      lastWal = Math.max(lastWal, Math.floor(statSync(join(layout.wal, name)).mtimeMs / 1000));
    }
  }
  const text = [
    '# HELP dynapharm_backup_last_success_timestamp_seconds When the newest backup finished (unix seconds; 0 = none).',
    '# TYPE dynapharm_backup_last_success_timestamp_seconds gauge',
    `dynapharm_backup_last_success_timestamp_seconds ${lastBackup}`,
    '# HELP dynapharm_backup_last_full_success_timestamp_seconds When the newest full backup finished (unix seconds; 0 = none).',
    '# TYPE dynapharm_backup_last_full_success_timestamp_seconds gauge',
    `dynapharm_backup_last_full_success_timestamp_seconds ${lastBackup}`,
    '# HELP dynapharm_wal_archive_last_success_timestamp_seconds When the newest archived WAL segment was written (unix seconds; 0 = none).',
    '# TYPE dynapharm_wal_archive_last_success_timestamp_seconds gauge',
    `dynapharm_wal_archive_last_success_timestamp_seconds ${lastWal}`,
    '',
  ].join('\n');
  const tmp = `${layout.metrics}.tmp`;
  writeFileSync(tmp, text, { mode: 0o644 });
  renameSync(tmp, layout.metrics);
}

/** Thrown when there is nothing to restore from; the message is for the operator. */
export class RestoreError extends Error {
  override readonly name = 'RestoreError';
}

export interface PreparedRestore {
  backup: BaseBackupInfo;
  /** Where the replaced cluster directory went (undefined when there was none). */
  movedAside?: string;
  /** Server flags for the recovery start (restore_command, target, promotion). */
  recoveryFlags: string[];
}

/**
 * Replaces `clusterDir` with the newest base backup finished before `to` (or
 * the newest of all) and prepares recovery: the next start replays the
 * archive up to `to` (or to its end) and promotes. The old cluster directory
 * is moved aside, not deleted.
 */
export function prepareRestore(options: {
  clusterDir: string;
  layout: BackupLayout;
  to?: Date;
  owner?: Owner;
}): PreparedRestore {
  const { clusterDir, layout, to, owner } = options;
  const backups = listBackups(layout);
  const candidates = to ? backups.filter((b) => Date.parse(b.finishedAt) <= to.getTime()) : backups;
  const backup = candidates.at(-1);
  if (!backup) {
    throw new RestoreError(
      backups.length === 0
        ? `no base backup in ${layout.base}: take one with \`pnpm backup\` while the cluster runs`
        : `no base backup finished before ${to?.toISOString()} (the oldest finished ${backups[0]?.finishedAt})`,
    );
  }
  let movedAside: string | undefined;
  if (existsSync(clusterDir) && readdirSync(clusterDir).length > 0) {
    movedAside = `${clusterDir}.before-restore-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    renameSync(clusterDir, movedAside);
  } else {
    rmSync(clusterDir, { recursive: true, force: true });
  }
  copyCluster(join(layout.base, backup.label), clusterDir);
  // copyCluster leaves backup_label out (it must not be taken from a live
  // cluster); here it is the one pg_backup_stop() wrote, and recovery needs it.
  copyFileSync(join(layout.base, backup.label, 'backup_label'), join(clusterDir, 'backup_label'));
  const spcmap = join(layout.base, backup.label, 'tablespace_map');
  if (existsSync(spcmap)) copyFileSync(spcmap, join(clusterDir, 'tablespace_map'));
  writeFileSync(join(clusterDir, 'recovery.signal'), '');
  chmodSync(clusterDir, 0o700);
  if (owner) chownTree(clusterDir, owner);
  const recoveryFlags = [
    '-c',
    // Fails (nothing there) at the end of the archive, which ends recovery.
    `restore_command=test -f ${quoted(`${layout.wal}/%f.gz`)} && gzip -dc ${quoted(`${layout.wal}/%f.gz`)} > %p`,
    '-c',
    'recovery_target_action=promote',
    '-c',
    'recovery_target_timeline=latest',
    // A numeric zone: zone abbreviations (the Z of ISO 8601) are not loaded
    // yet when the server reads its settings.
    ...(to
      ? ['-c', `recovery_target_time=${to.toISOString().replace('T', ' ').replace('Z', '+00')}`]
      : []),
  ];
  return { backup, movedAside, recoveryFlags };
}

/** The uid/gid of a system user, if it exists. */
export function systemOwner(name: string): Owner | undefined {
  const id = (flag: string) => {
    const res = spawnSync('id', [flag, name], { encoding: 'utf8' });
    const n = Number.parseInt(res.stdout ?? '', 10);
    return res.status === 0 && Number.isInteger(n) ? n : undefined;
  };
  const uid = id('-u');
  const gid = id('-g');
  return uid === undefined || gid === undefined ? undefined : { uid, gid };
}
