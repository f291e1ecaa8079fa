import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { createDb } from '@dynapharm/db';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { planEmbeddedPostgres } from '../services/postgres.ts';
import {
  ensureDatabase,
  type PostgresServerConfig,
  type RunningServer,
  startServer,
  urlOf,
} from '../services/postgres-runner.ts';
import { listBackups, prepareRestore, RestoreError, takeBaseBackup } from './local-backup.ts';

async function query<T>(url: string, sql: string): Promise<T[]> {
  const { pool, close } = createDb(url, { max: 1 });
  try {
    return (await pool.query(sql)).rows as T[];
  } finally {
    await close();
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// The launcher's embedded PostgreSQL (the helper's part runs in this process,
// as in services/postgres.int.test.ts), with the archiving every launcher
// start turns on, backed up and restored the way `pnpm backup` / `pnpm
// restore --to` do it.
describe('embedded PostgreSQL backup and point-in-time restore', () => {
  let dataDir: string;
  let relocationRoot: string;
  let running: RunningServer | undefined;
  let log = '';
  const sink = new PassThrough();
  sink.on('data', (chunk) => {
    log += String(chunk);
  });
  const plan = () =>
    planEmbeddedPostgres({
      dataDir,
      logDir: dataDir,
      password: 'secret-for-this-test',
      env: process.env,
      relocationRoot,
    });
  const start = async (config: PostgresServerConfig) => {
    running = await startServer(config, sink);
    await ensureDatabase(config);
    return urlOf(config);
  };
  const stop = async () => {
    await running?.stop();
    running = undefined;
  };
  const rows = async (url: string) =>
    (
      await query<{ id: number; version: number }>(url, 'SELECT id, version FROM items ORDER BY id')
    ).map((r) => `${r.id}@${r.version}`);

  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'launcher-backup-'));
    relocationRoot = mkdtempSync(join(tmpdir(), 'launcher-backup-open-'));
    chmodSync(relocationRoot, 0o755);
  });
  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail') console.error(log.slice(-3_000));
    await stop();
  });
  afterAll(() => {
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(relocationRoot, { recursive: true, force: true });
  });

  it('refuses to restore without a base backup', async () => {
    const p = await plan();
    expect(() => prepareRestore({ clusterDir: p.clusterDir, layout: p.backups })).toThrow(
      RestoreError,
    );
  });

  it('brings back exactly the rows committed before --to, on a new timeline', async () => {
    const p = await plan();
    const url = await start(p.config);
    await query(url, 'CREATE TABLE items (id int PRIMARY KEY, version int NOT NULL)');
    await query(url, 'INSERT INTO items SELECT g, 1 FROM generate_series(1, 5) g');
    const backup = await takeBaseBackup({ url, clusterDir: p.clusterDir, layout: p.backups });
    expect(listBackups(p.backups).map((b) => b.label)).toEqual([backup.label]);
    const metrics = readFileSync(p.backups.metrics, 'utf8');
    const last = Number(
      /^dynapharm_backup_last_success_timestamp_seconds (\d+)$/m.exec(metrics)?.[1],
    );
    expect(last).toBe(Math.floor(Date.parse(backup.finishedAt) / 1000));

    await query(url, 'UPDATE items SET version = 2 WHERE id <= 2');
    await query(url, 'INSERT INTO items VALUES (6, 1)');
    const expected = await rows(url);
    await sleep(50);
    const [{ at } = { at: '' }] = await query<{ at: Date }>(url, 'SELECT clock_timestamp() AS at');
    await sleep(50);
    await query(url, 'INSERT INTO items VALUES (7, 1)');
    await query(url, 'UPDATE items SET version = 3 WHERE id = 1');
    await query(url, 'DELETE FROM items WHERE id = 5');
    expect(await rows(url)).not.toEqual(expected);
    // Close the segment and wait for archive_command to have copied it.
    const [{ wal } = { wal: '' }] = await query<{ wal: string }>(
      url,
      'SELECT pg_walfile_name(pg_switch_wal()) AS wal',
    );
    for (let i = 0; i < 300; i++) {
      const [s] = await query<{ last: string | null }>(
        url,
        'SELECT last_archived_wal AS last FROM pg_stat_archiver',
      );
      if ((s?.last ?? '') >= wal) break;
      await sleep(100);
    }
    expect(existsSync(join(p.backups.wal, `${wal}.gz`))).toBe(true);

    // The database is lost.
    await stop();
    rmSync(p.clusterDir, { recursive: true, force: true });

    const restore = prepareRestore({
      clusterDir: p.clusterDir,
      layout: p.backups,
      to: new Date(at),
      owner: p.owner,
    });
    expect(restore.backup.label).toBe(backup.label);
    expect(restore.movedAside).toBeUndefined();
    const restoredUrl = await start({
      ...p.config,
      flags: [...(p.config.flags ?? []), ...restore.recoveryFlags],
    });
    for (let i = 0; i < 600; i++) {
      const [r] = await query<{ rec: boolean }>(restoredUrl, 'SELECT pg_is_in_recovery() AS rec');
      if (r?.rec === false) break;
      await sleep(100);
    }
    expect(await rows(restoredUrl)).toEqual(expected);
    const [{ tli } = { tli: '' }] = await query<{ tli: string }>(
      restoredUrl,
      'SELECT substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8) AS tli',
    );
    expect(Number.parseInt(tli, 16)).toBe(2);
    await stop();

    // The next ordinary start keeps the restored data and archives again.
    const again = await start((await plan()).config);
    expect(await rows(again)).toEqual(expected);
    await query(again, 'INSERT INTO items VALUES (8, 1)');
    const [mode] = await query<{ archive_mode: string }>(again, 'SHOW archive_mode');
    expect(mode?.archive_mode).toBe('on');
  });

  it('with a stale target refuses before touching the cluster', async () => {
    const p = await plan();
    expect(() =>
      prepareRestore({
        clusterDir: p.clusterDir,
        layout: p.backups,
        to: new Date('2000-01-01T00:00:00Z'),
      }),
    ).toThrow(/no base backup finished before 2000-01-01/);
    expect(existsSync(join(p.clusterDir, 'PG_VERSION'))).toBe(true);
  });
});
