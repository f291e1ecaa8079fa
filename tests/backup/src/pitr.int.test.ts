import { runMigrations } from '@dynapharm/db';
import { confirmIncarnation } from '@dynapharm/outbox';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { type BackupLab, startBackupLab } from './lab.ts';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn().catch(() => {});
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Every row as `id@version`, sorted: what a restore must reproduce exactly. */
async function rowsOf(lab: BackupLab) {
  return withClient(lab.url('dynapharm'), async (c) => {
    const { rows } = await c.query<{ id: number; version: number }>(
      'SELECT id, version FROM items ORDER BY id',
    );
    return rows.map((r) => `${r.id}@${r.version}`);
  });
}

const write = (lab: BackupLab, sql: string) =>
  withClient(lab.url('dynapharm'), (c) => c.query(sql));

describe('pgBackRest point-in-time restore', () => {
  it('brings back exactly the rows committed before the target time, on a new timeline and a new epoch', {
    timeout: 120_000,
  }, async () => {
    const lab = await startBackupLab();
    cleanups.push(() => lab.close());
    await withClient(lab.url(), (c) => c.query('CREATE DATABASE dynapharm'));
    await runMigrations(lab.url('dynapharm'));
    await write(lab, 'CREATE TABLE items (id int PRIMARY KEY, version int NOT NULL)');
    // The relay records the database's fingerprint and the stream's epoch.
    const before = await withClient(lab.url('dynapharm'), (c) => confirmIncarnation(c));

    await write(lab, 'INSERT INTO items SELECT g, 1 FROM generate_series(1, 5) g');
    await lab.backup('full');
    await write(lab, 'UPDATE items SET version = 2 WHERE id <= 2');
    await write(lab, 'INSERT INTO items SELECT g, 1 FROM generate_series(6, 8) g');
    await lab.backup('incr');
    await write(lab, 'INSERT INTO items VALUES (9, 1)');
    await write(lab, 'UPDATE items SET version = 2 WHERE id = 3');
    const expected = await rowsOf(lab);

    // The target lies strictly between the last write above and the first below.
    await sleep(50);
    const target = await withClient(lab.url(), async (c) => {
      const { rows } = await c.query<{ at: string }>(
        `SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '+00' AS at`,
      );
      return rows[0]?.at ?? '';
    });
    await sleep(50);
    await write(lab, 'INSERT INTO items SELECT g, 1 FROM generate_series(10, 12) g');
    await write(lab, 'UPDATE items SET version = 3 WHERE id = 1');
    await write(lab, 'DELETE FROM items WHERE id = 4');
    expect(await rowsOf(lab)).not.toEqual(expected);
    await lab.archiveNow();
    expect(await lab.timeline()).toBe(1);

    const info = JSON.parse(await lab.pgbackrest('--output=json', 'info')) as {
      backup: { type: string }[];
    }[];
    expect(info[0]?.backup.map((b) => b.type)).toEqual(['full', 'incr']);

    await lab.loseDatabase();
    const lost = Date.now();
    await lab.restore({ to: target });
    const restoreMs = Date.now() - lost;

    expect(await rowsOf(lab)).toEqual(expected);
    // Recovery with promotion starts a new timeline, which is part of the
    // fingerprint: the relay's next leadership gives the stream a new epoch.
    expect(await lab.timeline()).toBe(2);
    const after = await withClient(lab.url('dynapharm'), (c) => confirmIncarnation(c));
    expect(after.renewed).toBe(true);
    expect(after.epoch).not.toBe(before.epoch);
    // The restored server archives again, on its new timeline.
    await write(lab, 'INSERT INTO items VALUES (100, 1)');
    await lab.archiveNow();
    await lab.pgbackrest('check');
    console.log(`[backup] point-in-time restore of a 2-backup chain took ${restoreMs} ms`);
  });

  it('without a target replays the whole archive: every archived commit comes back', {
    timeout: 120_000,
  }, async () => {
    const lab = await startBackupLab();
    cleanups.push(() => lab.close());
    await withClient(lab.url(), (c) => c.query('CREATE DATABASE dynapharm'));
    await write(lab, 'CREATE TABLE items (id int PRIMARY KEY, version int NOT NULL)');
    await lab.backup('full');
    await write(lab, 'INSERT INTO items SELECT g, 1 FROM generate_series(1, 50) g');
    await write(lab, 'UPDATE items SET version = version + 1 WHERE id % 2 = 0');
    const expected = await rowsOf(lab);
    expect(expected).toHaveLength(50);
    await lab.archiveNow();

    await lab.loseDatabase();
    await lab.restore();
    expect(await rowsOf(lab)).toEqual(expected);
    expect(await lab.timeline()).toBe(2);
  });
});
