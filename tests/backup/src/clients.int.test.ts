import { startTestApi, type TestApi } from '@dynapharm/api/testing';
import { runMigrations } from '@dynapharm/db';
import { startCluster } from '@dynapharm/gateway/testing';
import { RealtimeClient } from '@dynapharm/realtime-client';
import { redisNamespace } from '@dynapharm/testkit';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { startBackupLab } from './lab.ts';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn().catch(() => {});
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function eventually(check: () => boolean, what: () => string, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what()}`);
    await sleep(25);
  }
}

/** The clients the server has: id → version. */
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

const same = (a: Map<string, number>, b: Map<string, number>) =>
  a.size === b.size && [...a].every(([id, version]) => b.get(id) === version);

describe('clients connected across a restore', () => {
  it('resync on the new epoch and end equal to the restored server', {
    timeout: 180_000,
  }, async () => {
    const lab = await startBackupLab();
    cleanups.push(() => lab.close());
    const admin = new pg.Client({ connectionString: lab.url() });
    await admin.connect();
    await admin.query('CREATE DATABASE dynapharm');
    await admin.end();
    const database = { name: 'dynapharm', url: lab.url('dynapharm'), drop: async () => {} };
    await runMigrations(database.url);
    await lab.backup('full');

    const keyPrefix = `${redisNamespace('backup')}socket.io`;
    let api = await startTestApi({ database, keyPrefix, pollMs: 50 });
    cleanups.push(() => api.close());
    const cluster = await startCluster(2, { bus: { keyPrefix } });
    cleanups.push(() => cluster.close());
    const token = await api.token('admin');
    const created = await api.request('/api/branches', {
      method: 'POST',
      token,
      json: { code: 'BACKUP-1', name: 'Backup branch', city: 'Jinja' },
    });
    expect(created.status).toBe(201);
    const branchId = ((await created.json()) as { id: string }).id;
    const createClient = async (name: string) => {
      const res = await api.request('/api/clients', {
        method: 'POST',
        token,
        json: { branchId, fullName: name },
      });
      expect(res.status).toBe(201);
      return ((await res.json()) as { id: string }).id;
    };
    const renameClient = async (id: string, version: number, name: string) => {
      const res = await api.request(`/api/clients/${id}`, {
        method: 'PATCH',
        token,
        headers: { 'if-match': `"${version}"` },
        json: { fullName: name },
      });
      expect(res.status).toBe(200);
    };

    // Devices follow the stream on both gateways; the API keeps one address for
    // them (as the front door does) while its process is replaced.
    const devices = [0, 1].map((gateway) => {
      const rows = new Map<string, number>();
      const device = { rows, resyncs: 0, rt: undefined as unknown as RealtimeClient };
      device.rt = new RealtimeClient({
        wsUrl: [cluster.urls[gateway] ?? ''],
        apiUrl: 'http://api.invalid',
        fetch: (input, init) =>
          fetch(String(input).replace('http://api.invalid', api.url), init as RequestInit),
        token,
        transports: ['websocket'],
        reconnectDelayMs: { min: 100, max: 500 },
        catchUpIntervalMs: 0,
      });
      device.rt.on('*', (data, event) => {
        if (event.resource !== 'clients') return;
        if (data.deletedAt) rows.delete(event.id);
        else if ((rows.get(event.id) ?? 0) < event.version) rows.set(event.id, event.version);
      });
      device.rt.onResync(() => {
        device.resyncs += 1;
        void serverRows(api, token).then((truth) => {
          rows.clear();
          for (const [id, version] of truth) rows.set(id, version);
        });
      });
      cleanups.push(async () => device.rt.disconnect());
      return device;
    });
    for (const d of devices) {
      await d.rt.connect();
      await d.rt.subscribe(['clients']);
    }

    // Known writes before the target time…
    const kept = [await createClient('kept 1'), await createClient('kept 2')];
    await renameClient(kept[0] ?? '', 1, 'kept 1, renamed');
    const expected = await serverRows(api, token);
    await sleep(50);
    const [{ at: target } = { at: '' }] = await lab.query<{ at: string }>(
      `SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '+00' AS at`,
    );
    await sleep(50);
    // …and after it: these are what the restore takes back.
    const lost = await createClient('lost 1');
    await renameClient(kept[1] ?? '', 1, 'kept 2, renamed too late');
    await createClient('lost 2');
    const beforeLoss = await serverRows(api, token);
    expect(beforeLoss.size).toBe(4);
    for (const d of devices) {
      await eventually(
        () => same(d.rows, beforeLoss),
        () => `the devices to see all four clients (${d.rows.size})`,
      );
    }
    const oldEpoch = devices[0]?.rt.epoch;
    expect(oldEpoch).toBeDefined();
    await lab.archiveNow();

    // The database is lost; the API stops using it; a point-in-time restore
    // brings it back to the target; the API starts again. The devices stay
    // connected to the gateways all along.
    await api.close();
    await lab.loseDatabase();
    await lab.restore({ to: target });
    api = await startTestApi({ database, keyPrefix, pollMs: 50 });
    cleanups.push(() => api.close());

    const restored = await serverRows(api, token);
    expect(same(restored, expected)).toBe(true);
    expect(restored.has(lost)).toBe(false);
    // New writes after the restore reach the devices in the new epoch.
    await createClient('after the restore');
    const truth = await serverRows(api, token);
    expect(truth.size).toBe(3);
    for (const d of devices) {
      await eventually(
        () => d.resyncs >= 1 && same(d.rows, truth),
        () =>
          `a device to equal the server (${d.rows.size} rows, ${d.resyncs} resyncs, epoch ${d.rt.epoch})`,
      );
      expect(d.rt.epoch).toBeDefined();
      expect(d.rt.epoch).not.toBe(oldEpoch);
    }
  });
});
