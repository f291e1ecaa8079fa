import { startTestApi, type TestApi } from '@dynapharm/api/testing';
import { startCluster } from '@dynapharm/gateway/testing';
import { RealtimeClient } from '@dynapharm/realtime-client';
import {
  createTestDatabase,
  type IsolatedDatabase,
  redisNamespace,
  stack,
} from '@dynapharm/testkit';
import { changesPageSchema } from '@dynapharm/types';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { createClient, eventually } from './system.ts';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn().catch(() => {});
});

/** Runs SQL on the server's maintenance database (CREATE/DROP DATABASE). */
async function admin(sql: string) {
  const client = new pg.Client({ connectionString: stack().postgresAdminUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** The device's copy of the clients it may see: id → version, kept by snapshot + live events. */
class DeviceCopy {
  rows = new Map<string, number>();
  resyncs = 0;

  async reload(api: TestApi, token: string) {
    this.rows = await serverRows(api, token);
  }

  follow(rt: RealtimeClient, api: () => TestApi, token: string) {
    rt.on('*', (data, event) => {
      if (event.resource !== 'clients') return;
      if (data.deletedAt) this.rows.delete(event.id);
      else if ((this.rows.get(event.id) ?? 0) < event.version)
        this.rows.set(event.id, event.version);
    });
    rt.onResync(() => {
      this.resyncs += 1;
      void this.reload(api(), token);
    });
  }
}

async function serverRows(api: TestApi, token: string) {
  const rows = new Map<string, number>();
  let cursor: string | null = null;
  do {
    const query: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
    const res = await api.request(`/api/clients?limit=500${query}`, { token });
    const page = (await res.json()) as {
      items: { id: string; version: number }[];
      nextCursor: string | null;
    };
    for (const item of page.items) rows.set(item.id, item.version);
    cursor = page.nextCursor;
  } while (cursor);
  return rows;
}

async function writeClients(
  api: TestApi,
  token: string,
  branchId: string,
  n: number,
  label: string,
) {
  for (let i = 0; i < n; i++) await createClient(api, token, branchId, `${label} ${i}`);
}

describe('epoch', () => {
  it('makes a client that was away across a restore resync instead of skipping', async () => {
    const database: IsolatedDatabase = await createTestDatabase();
    const backup = `${database.name}_backup`;
    cleanups.push(async () => {
      await database.drop();
      await admin(`DROP DATABASE IF EXISTS "${backup}" WITH (FORCE)`);
    });
    const keyPrefix = `${redisNamespace('epoch')}socket.io`;
    const startApi = async () => {
      const api = await startTestApi({ database, keyPrefix, pollMs: 50 });
      cleanups.push(() => api.close());
      return api;
    };
    let api = await startApi();
    const cluster = await startCluster(2, { bus: { keyPrefix } });
    cleanups.push(() => cluster.close());
    const token = await api.token('admin');
    const created = await api.request('/api/branches', {
      method: 'POST',
      token,
      json: { code: 'EPOCH-1', name: 'Epoch branch', city: 'Kampala' },
    });
    expect(created.status).toBe(201);
    const branchId = ((await created.json()) as { id: string }).id;

    // A device follows the stream.
    const device = new DeviceCopy();
    let rt = new RealtimeClient({
      wsUrl: cluster.urls,
      apiUrl: api.url,
      token,
      transports: ['websocket'],
      catchUpIntervalMs: 0,
    });
    device.follow(rt, () => api, token);
    await rt.connect();
    await rt.subscribe(['clients']);
    await device.reload(api, token);
    await writeClients(api, token, branchId, 3, 'before the backup');
    await eventually(() => device.rows.size === 3, 'the first writes on the device');

    // A backup is taken (a copy of the database while the API is stopped).
    await api.close();
    await admin(`CREATE DATABASE "${backup}" TEMPLATE "${database.name}"`);
    api = await startApi();
    await writeClients(api, token, branchId, 5, 'after the backup');
    await eventually(() => device.rows.size === 8, 'the later writes on the device');

    // The device goes away, remembering where it was.
    const saved = { offset: rt.lastOffset, epoch: rt.epoch };
    expect(saved.epoch).toBeDefined();
    rt.disconnect();

    // The database is restored from the backup: the last five clients are gone.
    await api.close();
    await admin(`DROP DATABASE "${database.name}" WITH (FORCE)`);
    await admin(`CREATE DATABASE "${database.name}" TEMPLATE "${backup}"`);
    api = await startApi();
    // New writes push the head past the offset the device remembers, so an
    // offset alone would look valid and the device would skip changes.
    await writeClients(api, token, branchId, 9, 'after the restore');
    const head = async () =>
      changesPageSchema.parse(await (await api.request('/api/changes', { token })).json());
    let now = await head();
    for (let i = 0; now.head <= saved.offset && i < 100; i++) {
      await new Promise((r) => setTimeout(r, 50));
      now = await head();
    }
    expect(now.head).toBeGreaterThan(saved.offset);
    expect(now.epoch).not.toBe(saved.epoch);

    // The device comes back with its old position and its old rows.
    rt = new RealtimeClient({
      wsUrl: cluster.urls,
      apiUrl: api.url,
      token,
      transports: ['websocket'],
      catchUpIntervalMs: 0,
      initialOffset: saved.offset,
      initialEpoch: saved.epoch,
    });
    cleanups.push(async () => rt.disconnect());
    device.follow(rt, () => api, token);
    await rt.connect();
    await rt.subscribe(['clients']);
    await writeClients(api, token, branchId, 2, 'after the return');

    const truth = await serverRows(api, token);
    expect(truth.size).toBe(3 + 9 + 2);
    await eventually(
      () => device.resyncs === 1 && sameRows(device.rows, truth),
      () => `the device to equal the server (${device.rows.size} rows, ${device.resyncs} resyncs)`,
    );
    expect(rt.epoch).toBe(now.epoch);
  });
});

function sameRows(a: Map<string, number>, b: Map<string, number>) {
  return a.size === b.size && [...a].every(([id, version]) => b.get(id) === version);
}
