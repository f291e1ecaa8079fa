import { join } from 'node:path';
import { createDb } from '@dynapharm/db';
import { inheritedEnv, type LauncherSettings } from '../env.ts';
import type { Progress } from '../progress.ts';
import { planEmbeddedPostgres, startEmbeddedPostgres } from '../services/postgres.ts';
import { loadSecrets } from '../state.ts';
import { prepareRestore } from './local-backup.ts';

/**
 * `pnpm restore [--to <time>]`, run by the launcher before it starts
 * PostgreSQL (so nothing else uses the database): puts the newest suitable
 * base backup in place of the cluster directory, starts PostgreSQL once in
 * archive recovery until it has replayed the WAL archive (to its end or to
 * `to`) and promoted itself onto a new timeline, then stops it again. The
 * launcher then starts everything as usual; the relay sees the new timeline
 * and gives the change stream a new epoch, so clients resync.
 */
export async function restoreEmbeddedPostgres(options: {
  settings: LauncherSettings;
  to?: Date;
  progress: Progress;
}) {
  const { settings, to, progress } = options;
  const { dataDir } = settings;
  const logDir = join(dataDir, 'logs');
  const secrets = loadSecrets(dataDir);
  const base = { dataDir, logDir, password: secrets.postgresPassword };
  const plan = await planEmbeddedPostgres({ ...base, env: {} });
  const prepared = prepareRestore({
    clusterDir: plan.clusterDir,
    layout: plan.backups,
    to,
    owner: plan.owner,
  });
  progress.line(
    `    restoring base backup ${prepared.backup.label} (finished ${prepared.backup.finishedAt}), then the WAL archive ${to ? `up to ${to.toISOString()}` : 'to its end'}`,
  );
  if (prepared.movedAside) {
    progress.line(
      `    the cluster it replaces is in ${prepared.movedAside} (delete it once the restore is right)`,
    );
  }
  const started = Date.now();
  const pg = await startEmbeddedPostgres({
    ...base,
    env: inheritedEnv(process.env),
    extraFlags: prepared.recoveryFlags,
    timeoutMs: 60 * 60_000,
  });
  try {
    const { pool, close } = createDb(pg.url, { max: 1, applicationName: 'dynapharm-restore' });
    try {
      let timeline = '';
      for (;;) {
        const { rows } = await pool.query<{ recovering: boolean; tli: string | null }>(
          `SELECT pg_is_in_recovery() AS recovering,
                  CASE WHEN NOT pg_is_in_recovery()
                       THEN substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8) END AS tli`,
        );
        if (rows[0] && !rows[0].recovering) {
          timeline = rows[0].tli ?? '';
          break;
        }
        await new Promise((r) => setTimeout(r, 200));
      }
      progress.line(
        `    recovered and promoted in ${((Date.now() - started) / 1000).toFixed(1)} s, now on WAL timeline ${Number.parseInt(timeline, 16)}`,
      );
    } finally {
      await close();
    }
  } finally {
    await pg.child.stop('SIGTERM', 20_000);
  }
}
