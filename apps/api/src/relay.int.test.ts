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

/** The value of one unlabelled sample in an API's `/metrics`. */
async function metric(api: TestApi, name: string): Promise<number | undefined> {
  const text = await (await fetch(`${api.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
}

describe('relay metrics', () => {
  it('shows the leader’s head and published offset, equal once a write went out; a standby shows none', async () => {
    const id = await createClient(standby, 'Metrics');
    expect(await publishedWithin(leader, id, 3000)).toBe(true);
    const { rows } = await leader.api.pool.query<{ head: string }>('SELECT head FROM relay_state');
    const head = Number(rows[0]?.head);
    expect(head).toBeGreaterThan(0);
    expect(await metric(leader, 'dynapharm_relay_leader')).toBe(1);
    expect(await metric(leader, 'dynapharm_relay_head_offset')).toBe(head);
    expect(await metric(leader, 'dynapharm_relay_published_offset')).toBe(head);
    expect(await metric(standby, 'dynapharm_relay_leader')).toBe(0);
    expect(await metric(standby, 'dynapharm_relay_head_offset')).toBe(0);
    expect(await metric(standby, 'dynapharm_relay_published_offset')).toBe(0);
  });
});
