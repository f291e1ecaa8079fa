import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from './testing/harness.ts';

// Polling is pushed out of the picture: only the after-commit signal can wake the relay.
const noPolling = { RELAY_POLL_MS: 600_000 };

let leader: TestApi;
let standby: TestApi;
let admin: string;

async function publishedWithin(api: TestApi, recordId: string, ms: number) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const { rows } = await api.api.pool.query(
      'SELECT 1 FROM sync_log WHERE record_id = $1 AND published_at IS NOT NULL',
      [recordId],
    );
    if (rows.length > 0) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return false;
}

async function createClient(api: TestApi, name: string) {
  const res = await api.request('/api/clients', {
    method: 'POST',
    token: admin,
    json: { branchId: api.branches[0]?.id, fullName: name },
  });
  expect(res.status).toBe(201);
  return ((await res.json()) as { id: string }).id;
}

beforeAll(async () => {
  leader = await startTestApi({ env: noPolling });
  admin = await leader.token('admin');
  for (let i = 0; i < 100 && !leader.api.relay.isLeader(); i++) {
    await new Promise((r) => setTimeout(r, 50));
  }
  // Let the leader drain the seed backlog, then add a standby on the same database.
  await createClient(leader, 'Warm-up');
  standby = await startTestApi({
    database: leader.database,
    keyPrefix: leader.keyPrefix,
    env: noPolling,
  });
});
afterAll(async () => {
  await standby?.close();
  await leader?.close();
});

describe('waking the relay after a commit', () => {
  it('publishes a write made through the leader’s own process at once', async () => {
    expect(leader.api.relay.isLeader()).toBe(true);
    const id = await createClient(leader, 'Local wake');
    expect(await publishedWithin(leader, id, 3000)).toBe(true);
  });

  it('publishes a write made through another API process (one NOTIFY to the leader)', async () => {
    expect(standby.api.relay.isLeader()).toBe(false);
    const id = await createClient(standby, 'Remote wake');
    expect(await publishedWithin(leader, id, 3000)).toBe(true);
  });
});
