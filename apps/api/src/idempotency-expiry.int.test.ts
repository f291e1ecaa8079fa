import { eventually } from '@dynapharm/testkit';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deleteExpiredIdempotencyKeys, scheduleIdempotencyExpiry } from './idempotency-expiry.ts';
import { startTestApi, type TestApi } from './testing/harness.ts';

let t: TestApi;
let token: string;
let branch: string;

beforeAll(async () => {
  t = await startTestApi({ relay: false });
  branch = t.branches[0]?.id ?? '';
  token = await t.token('staff', [branch], 'expiry-user');
});
afterAll(async () => {
  await t?.close();
});

const create = (key: string) =>
  t.request('/api/clients', {
    method: 'POST',
    token,
    headers: { 'idempotency-key': key },
    json: { branchId: branch, fullName: `client ${key}` },
  });

/** Stored answers aged by `hours`, as many as `n`. */
async function oldKeys(prefix: string, n: number, hours: number) {
  await t.api.pool.query(
    `INSERT INTO idempotency_keys (principal, key, method, path, request_hash, status, response, created_at)
     SELECT 'someone', $1 || i, 'POST', '/api/clients', 'h', 201, '{}'::jsonb,
            now() - make_interval(hours => $3)
       FROM generate_series(1, $2::int) AS i`,
    [prefix, n, hours],
  );
}

async function keyCount(where = 'true') {
  const { rows } = await t.api.pool.query<{ n: string }>(
    `SELECT count(*) AS n FROM idempotency_keys WHERE ${where}`,
  );
  return Number(rows[0]?.n);
}

describe('idempotency key expiry', () => {
  it('deletes keys older than the TTL in chunks and keeps younger ones', async () => {
    expect((await create('kept-key')).status).toBe(201);
    expect((await create('aged-key')).status).toBe(201);
    await t.api.pool.query(
      `UPDATE idempotency_keys SET created_at = now() - interval '25 hours' WHERE key = 'aged-key'`,
    );
    await oldKeys('old-', 2_499, 30);
    await oldKeys('recent-', 10, 23);

    const removed = await deleteExpiredIdempotencyKeys(t.api.pool, 24 * 3600_000, 1_000);
    expect(removed).toBe(2_500);
    expect(await keyCount(`key LIKE 'old-%' OR key = 'aged-key'`)).toBe(0);
    expect(await keyCount(`key LIKE 'recent-%'`)).toBe(10);

    // A kept key still replays; an expired one runs as a new write.
    const replay = await create('kept-key');
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    const rerun = await create('aged-key');
    expect(rerun.status).toBe(201);
    expect(rerun.headers.get('idempotent-replayed')).toBeNull();
  });

  it('runs periodically', async () => {
    await oldKeys('periodic-', 5, 48);
    const stop = scheduleIdempotencyExpiry(
      t.api.pool,
      pino({ level: 'silent' }),
      24 * 3600_000,
      50,
    );
    try {
      await eventually(
        () => keyCount(`key LIKE 'periodic-%'`),
        (n) => n === 0,
      );
    } finally {
      stop();
    }
  });
});
