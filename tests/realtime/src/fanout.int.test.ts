import { closeClients, connect, record, subscribe } from '@dynapharm/gateway/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createClient, eventually, publishedChanges, type System, startSystem } from './system.ts';

let sys: System;
let admin: string;
let branchA: string;
let branchB: string;

beforeAll(async () => {
  sys = await startSystem({ gateways: 3 });
  admin = await sys.api.token('admin');
  [branchA, branchB] = sys.api.branches.map((b) => b.id) as [string, string];
});
afterAll(async () => {
  await sys?.close();
});
afterEach(() => closeClients());

describe('fan-out across three replicas', () => {
  it('delivers an API write to subscribers on every replica, once each', async () => {
    const sockets = await Promise.all(
      sys.cluster.urls.map((url) => connect(url, { token: admin })),
    );
    const seen = sockets.map(record);
    for (const s of sockets) expect((await subscribe(s, ['clients'])).granted).toEqual(['clients']);
    // A socket in both the resource room and a branch room still gets one copy.
    await subscribe(sockets[0] as never, [`clients@${branchA}`]);

    const id = await createClient(sys.api, admin, branchA, 'Fan Out');
    await eventually(
      () => seen.every((s) => s.some((e) => e.id === id)),
      () =>
        `all replicas (copies so far: ${seen.map((s) => s.filter((e) => e.id === id).length).join('/')})`,
    );
    await new Promise((r) => setTimeout(r, 300)); // room for a duplicate to show up
    for (const s of seen) {
      const copies = s.filter((e) => e.id === id);
      expect(copies).toHaveLength(1);
      expect(copies[0]).toMatchObject({ resource: 'clients', action: 'created', version: 1 });
    }
  });

  it('keeps branch users to their own branch', async () => {
    const staff = await sys.api.token('staff', [branchA], 'staff-a');
    const socket = await connect(sys.cluster.urls[1] ?? '', { token: staff });
    const seen = record(socket);
    const ack = await subscribe(socket, ['clients', `clients@${branchB}`]);
    expect(ack.granted).toEqual([`clients@${branchA}`]);
    expect(ack.denied).toEqual([{ channel: `clients@${branchB}`, reason: 'forbidden' }]);

    const inB = await createClient(sys.api, admin, branchB, 'Other Branch');
    const inA = await createClient(sys.api, admin, branchA, 'Own Branch');
    await eventually(() => seen.some((e) => e.id === inA), 'own branch event');
    await new Promise((r) => setTimeout(r, 300));
    expect(seen.map((e) => e.id)).not.toContain(inB);
    expect(seen.every((e) => e.branchId === branchA)).toBe(true);
  });
});

describe('resume after a disconnect', () => {
  it('gets all 200 changes committed by 10 concurrent writers while it was away, in offset order', async () => {
    const { rt, received } = await sys.client('admin', [], [2]);
    await rt.connect();
    await rt.subscribe(['clients']);
    const start = rt.lastOffset;
    const { rt: steady, received: steadyReceived } = await sys.client('admin', [], [0]);
    await steady.connect();
    await steady.subscribe(['clients']);

    rt.disconnect();
    const ids: string[] = [];
    await Promise.all(
      Array.from({ length: 10 }, async (_, w) => {
        for (let i = 0; i < 10; i++) {
          const branchId = w % 2 === 0 ? branchA : branchB;
          const id = await createClient(sys.api, admin, branchId, `Writer ${w} #${i}`);
          ids.push(id);
          const res = await sys.api.request(`/api/clients/${id}`, {
            method: 'PATCH',
            token: admin,
            json: { version: 1, notes: `edited by writer ${w}` },
          });
          expect(res.status).toBe(200);
        }
      }),
    );
    const ofWriters = `resource = 'clients' AND record_id = ANY('{${ids.join(',')}}'::uuid[])`;
    let expected = await publishedChanges(sys.api, ofWriters);
    for (let n = 0; n < 100 && expected.length < 200; n++) {
      await new Promise((r) => setTimeout(r, 50));
      expected = await publishedChanges(sys.api, ofWriters);
    }
    expect(expected).toHaveLength(200);

    await rt.connect();
    const mine = () => received.filter((e) => ids.includes(e.id));
    await eventually(() => mine().length >= 200, 'catch-up of 200 changes');
    for (const list of [mine(), steadyReceived.filter((e) => ids.includes(e.id))]) {
      const offsets = list.map((e) => e.offset);
      expect(offsets).toEqual(expected.map((e) => e.offset));
      expect(new Set(offsets).size).toBe(200);
    }
    expect(mine().every((e) => e.offset > start)).toBe(true);
  });

  it('measures commit-to-client latency over 1,000 events on three replicas', async () => {
    const clients = await Promise.all([0, 1, 2].map((g) => sys.client('admin', [], [g])));
    for (const { rt } of clients) {
      await rt.connect();
      await rt.subscribe(['reports']);
    }
    const latencies: number[] = [];
    for (const { rt } of clients) {
      rt.on('*', (_d, e) => {
        if (e.resource === 'reports') latencies.push(Date.now() - Date.parse(e.at));
      });
    }
    // 350 report rows, 3 clients: > 1,000 deliveries, sent by 5 writers.
    const base = Date.UTC(2020, 0, 1);
    await Promise.all(
      Array.from({ length: 5 }, async (_, w) => {
        for (let i = 0; i < 70; i++) {
          const day = new Date(base + (w * 70 + i) * 86_400_000).toISOString().slice(0, 10);
          const res = await sys.api.request('/api/reports', {
            method: 'POST',
            token: admin,
            json: { branchId: branchA, reportDate: day, ordersCount: i },
          });
          expect(res.status).toBe(201);
        }
      }),
    );
    await eventually(() => latencies.length >= 1050, '1,050 deliveries', 30_000);
    latencies.sort((a, b) => a - b);
    const pct = (p: number) =>
      latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))];
    console.log(
      `[latency] commit-to-client over ${latencies.length} deliveries on 3 replicas: p50=${pct(0.5)} ms p99=${pct(0.99)} ms max=${latencies.at(-1)} ms`,
    );
    expect(latencies).toHaveLength(1050);
  });
});
