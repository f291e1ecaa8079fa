import {
  chmodSync,
  cpSync,
  existsSync,
  lstatSync,
  mkdtempSync,
  readlinkSync,
  rmSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { createDb } from '@dynapharm/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planEmbeddedPostgres } from './postgres.ts';
import { type EmbeddedBinaries, embeddedBinaries } from './postgres-access.ts';
import { ensureDatabase, type RunningServer, startServer, urlOf } from './postgres-runner.ts';

const asRoot = process.getuid?.() === 0;

async function query(url: string, sql: string) {
  const { pool, close } = createDb(url, { max: 1 });
  try {
    return (await pool.query(sql)).rows;
  } finally {
    await close();
  }
}

// A checkout under /root as root: mkdtemp's mode 0700 keeps the postgres user
// out of both the data directory and (a copy of) the binaries. The helper
// process's part runs in this one (it needs a build to run on its own).
describe.skipIf(!asRoot)('embedded PostgreSQL as root, out of the postgres user’s reach', () => {
  let closed: string;
  let relocationRoot: string;
  let binaries: EmbeddedBinaries;
  let running: RunningServer | undefined;
  let log = '';
  const start = async () => {
    const plan = await planEmbeddedPostgres({
      dataDir: join(closed, 'data'),
      logDir: closed,
      password: 'secret-for-this-test',
      env: process.env,
      relocationRoot,
      binaries,
    });
    const sink = new PassThrough();
    sink.on('data', (chunk) => {
      log += String(chunk);
    });
    running = await startServer(plan.config, sink);
    await ensureDatabase(plan.config);
    return { ...plan, url: urlOf(plan.config) };
  };
  const stop = async () => {
    await running?.stop();
    running = undefined;
  };

  beforeAll(() => {
    closed = mkdtempSync(join(tmpdir(), 'launcher-pg-closed-'));
    relocationRoot = mkdtempSync(join(tmpdir(), 'launcher-pg-open-'));
    chmodSync(relocationRoot, 0o755);
    const real = embeddedBinaries();
    binaries = { nativeDir: join(closed, 'native'), version: `${real.version}-test` };
    cpSync(real.nativeDir, binaries.nativeDir, { recursive: true, verbatimSymlinks: true });
  });

  afterAll(async () => {
    await stop();
    rmSync(closed, { recursive: true, force: true });
    rmSync(relocationRoot, { recursive: true, force: true });
  });

  it('moves binaries and data where it can reach them, says so, and runs', async () => {
    const pg = await start();
    const notes = pg.notes.join('\n');
    expect(notes).toContain(`copied the PostgreSQL binaries to ${relocationRoot}/`);
    expect(notes).toContain(`PostgreSQL data: ${relocationRoot}/`);
    const link = join(closed, 'data', 'postgres');
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readlinkSync(link)).toBe(pg.clusterDir);
    expect(existsSync(join(pg.clusterDir, 'PG_VERSION'))).toBe(true);
    await query(pg.url, 'CREATE TABLE kept (id int)');
    await stop();
    expect(log).toContain('database system is shut down');
  });

  it('finds the same cluster on the next start', async () => {
    const pg = await start();
    expect(pg.notes.join('\n')).toContain('linked from');
    expect(await query(pg.url, "SELECT to_regclass('kept') AS t")).toEqual([{ t: 'kept' }]);
    await stop();
  });

  it('starts over when the data directory was reset', async () => {
    rmSync(join(closed, 'data', 'postgres'));
    const pg = await start();
    expect(await query(pg.url, "SELECT to_regclass('kept') AS t")).toEqual([{ t: null }]);
    await stop();
  });
});
