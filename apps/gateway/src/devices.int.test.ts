import { type BusPublisher, createBusPublisher } from '@dynapharm/outbox';
import type { DeviceStatus } from '@dynapharm/types';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  adminToken,
  branchA,
  branchB,
  type Cluster,
  closeClients,
  connect,
  eventually,
  sleep,
  startCluster,
  subscribe,
  tokenFor,
} from './testing/cluster.ts';

const ttlMs = 1_500;
const epoch = crypto.randomUUID();

let cluster: Cluster;
let relay: BusPublisher;

interface Answer {
  head: number | null;
  epoch: string | null;
  devices: DeviceStatus[];
}

async function devices(url: string, token: string): Promise<Answer> {
  const res = await fetch(`${url}/devices`, { headers: { authorization: `Bearer ${token}` } });
  expect(res.status).toBe(200);
  return (await res.json()) as Answer;
}

const managerOf = (branch: string) =>
  tokenFor({ sub: `manager-${branch.slice(-1)}`, role: 'manager', branches: [branch] });

/** Beats like the relay leader until the gateway at `url` reports `head`. */
async function beat(head: number, url = cluster.urls[0] as string) {
  const admin = await adminToken();
  await eventually(async () => {
    relay.beat({ epoch, head, at: Date.now() });
    expect((await devices(url, admin)).head).toBe(head);
  });
}

beforeAll(async () => {
  cluster = await startCluster(3, { deviceTtlMs: ttlMs });
  relay = createBusPublisher(cluster.bus);
});
afterEach(() => closeClients());
afterAll(async () => {
  await relay?.close();
  await cluster?.close();
});

describe('device acknowledgements', () => {
  it('shows a device’s ack on every gateway with its lag, which clears when it acks the head', async () => {
    const [gw0, , gw2] = cluster.urls as [string, string, string];
    await beat(10);
    const socket = await connect(gw0, { token: await managerOf(branchA) });
    socket.emit('sync:ack', { deviceId: 'device-lagging-1', replica: 'console', offset: 4, epoch });
    const admin = await adminToken();
    const seen = await eventually(async () => {
      const found = (await devices(gw2, admin)).devices.find(
        (d) => d.deviceId === 'device-lagging-1',
      );
      expect(found).toBeDefined();
      return found as DeviceStatus;
    });
    expect(seen).toMatchObject({
      replica: 'console',
      userId: 'manager-a',
      branches: [branchA],
      gateway: cluster.gateways[0]?.replicaId,
      offset: 4,
      epoch,
      lagChanges: 6,
    });
    expect(seen.lagSeconds).toBeGreaterThanOrEqual(0);
    await sleep(1_100);
    const later = (await devices(gw2, admin)).devices.find(
      (d) => d.deviceId === 'device-lagging-1',
    );
    expect(later?.lagSeconds).toBeGreaterThanOrEqual(1);

    // The head moves on: the lag in changes grows with it.
    await beat(12, gw2);
    await eventually(async () => {
      const d = (await devices(gw2, admin)).devices.find((x) => x.deviceId === 'device-lagging-1');
      expect(d?.lagChanges).toBe(8);
    });

    socket.emit('sync:ack', {
      deviceId: 'device-lagging-1',
      replica: 'console',
      offset: 12,
      epoch,
    });
    await eventually(async () => {
      const d = (await devices(gw2, admin)).devices.find((x) => x.deviceId === 'device-lagging-1');
      expect(d).toMatchObject({ offset: 12, lagChanges: 0, lagSeconds: 0 });
    });
  });

  it('dates the lag from the last beat the device was still at the head', async () => {
    const [gw0, gw1] = cluster.urls as [string, string];
    await beat(20);
    const socket = await connect(gw1, { token: await managerOf(branchA) });
    socket.emit('sync:ack', { deviceId: 'device-at-head', replica: 'console', offset: 20, epoch });
    const admin = await adminToken();
    await eventually(async () => {
      const d = (await devices(gw0, admin)).devices.find((x) => x.deviceId === 'device-at-head');
      expect(d).toMatchObject({ lagChanges: 0, lagSeconds: 0 });
    });
    // The relay keeps beating at the same head while nothing is written.
    for (let i = 0; i < 6; i++) {
      relay.beat({ epoch, head: 20, at: Date.now() });
      await sleep(200);
    }
    await beat(25);
    const d = await eventually(async () => {
      const found = (await devices(gw0, admin)).devices.find(
        (x) => x.deviceId === 'device-at-head',
      );
      expect(found?.lagChanges).toBe(5);
      return found as DeviceStatus;
    });
    // Still at the head a moment ago, not since its ack 1.2 s earlier.
    expect(d.lagSeconds).toBeLessThan(1);
  });

  it('sorts the most-behind first, and reports no lag for another epoch', async () => {
    const [gw0, gw1] = cluster.urls as [string, string];
    await beat(30);
    const a = await connect(gw0, { token: await managerOf(branchA) });
    const b = await connect(gw1, { token: await managerOf(branchA) });
    a.emit('sync:ack', { deviceId: 'device-sort-near', replica: 'console', offset: 29, epoch });
    b.emit('sync:ack', { deviceId: 'device-sort-far', replica: 'console', offset: 3, epoch });
    b.emit('sync:ack', {
      deviceId: 'device-sort-old',
      replica: 'console',
      offset: 100,
      epoch: crypto.randomUUID(),
    });
    const admin = await adminToken();
    await eventually(async () => {
      const ids = (await devices(gw0, admin)).devices
        .map((d) => d.deviceId)
        .filter((id) => id.startsWith('device-sort-'));
      expect(ids).toEqual(['device-sort-old', 'device-sort-far', 'device-sort-near']);
    });
    const old = (await devices(gw0, admin)).devices.find((d) => d.deviceId === 'device-sort-old');
    expect(old).toMatchObject({ lagChanges: null, lagSeconds: null });
  });

  it('shows a manager of branch A no device of branch B; staff and strangers get no view', async () => {
    const [gw0, gw1] = cluster.urls as [string, string];
    const inA = await connect(gw0, { token: await managerOf(branchA) });
    const inB = await connect(gw1, { token: await managerOf(branchB) });
    const inBoth = await connect(gw1, {
      token: await tokenFor({ sub: 'roamer', role: 'staff', branches: [branchA, branchB] }),
    });
    inA.emit('sync:ack', { deviceId: 'device-scope-a', replica: 'console', offset: 1, epoch });
    inB.emit('sync:ack', { deviceId: 'device-scope-b', replica: 'console', offset: 1, epoch });
    inBoth.emit('sync:ack', { deviceId: 'device-scope-ab', replica: 'console', offset: 1, epoch });
    const admin = await adminToken();
    await eventually(async () => {
      const ids = (await devices(gw0, admin)).devices.map((d) => d.deviceId);
      expect(ids).toEqual(
        expect.arrayContaining(['device-scope-a', 'device-scope-b', 'device-scope-ab']),
      );
    });
    const seenByA = await devices(gw1, await managerOf(branchA));
    const text = JSON.stringify(seenByA);
    expect(text).not.toContain(branchB);
    expect(text).not.toContain('manager-b');
    expect(seenByA.devices.map((d) => d.deviceId)).toEqual(
      expect.arrayContaining(['device-scope-a', 'device-scope-ab']),
    );
    expect(seenByA.devices.every((d) => d.branches.every((b) => b === branchA))).toBe(true);

    const staff = await fetch(`${gw0}/devices`, {
      headers: {
        authorization: `Bearer ${await tokenFor({ role: 'staff', branches: [branchA] })}`,
      },
    });
    expect(staff.status).toBe(403);
    expect((await fetch(`${gw0}/devices`)).status).toBe(401);
    const forged = await fetch(`${gw0}/devices`, { headers: { authorization: 'Bearer nope' } });
    expect(forged.status).toBe(401);
  });

  it('drops garbage acks without harm: the socket keeps working', async () => {
    const [gw0] = cluster.urls as [string];
    const socket = await connect(gw0, { token: await managerOf(branchA) });
    const garbage: unknown[] = [
      undefined,
      null,
      42,
      'ack',
      [],
      { deviceId: 'x', replica: 'console', offset: 1, epoch },
      { deviceId: 'device-garbage-1', replica: 'console', offset: -1, epoch },
      { deviceId: 'device-garbage-2', replica: 'console', offset: 1, epoch: 'not-a-uuid' },
      { deviceId: 'device-garbage-3', replica: 'console', offset: 1, epoch, userId: 'admin' },
      { deviceId: 'device-garbage-4', replica: 'a/b c', offset: 1, epoch },
      { deviceId: 'device-garbage-5'.repeat(10), replica: 'console', offset: 1, epoch },
      { ['__proto__']: { polluted: true } },
    ];
    for (const payload of garbage) socket.emit('sync:ack', payload as never);
    // More devices than one socket may report: the extra ones are dropped.
    for (let i = 0; i < 6; i++) {
      socket.emit('sync:ack', {
        deviceId: `device-many-${i}`,
        replica: 'console',
        offset: 1,
        epoch,
      });
    }
    const ack = await subscribe(socket, [`clients@${branchA}`]);
    expect(ack.granted).toEqual([`clients@${branchA}`]);
    expect(socket.connected).toBe(true);
    await sleep(1_200);
    const ids = (await devices(gw0, await adminToken())).devices.map((d) => d.deviceId);
    expect(ids.filter((id) => id.startsWith('device-garbage'))).toEqual([]);
    expect(ids.filter((id) => id.startsWith('device-many-')).length).toBe(4);
  });

  it('forgets the devices of a closed gateway after the TTL, and keeps live ones meanwhile', async () => {
    const [, gw1, gw2] = cluster.urls as [string, string, string];
    const kept = await connect(gw1, { token: await managerOf(branchA) });
    const doomed = await connect(gw2, { token: await managerOf(branchA) });
    kept.emit('sync:ack', { deviceId: 'device-kept', replica: 'console', offset: 1, epoch });
    doomed.emit('sync:ack', { deviceId: 'device-doomed', replica: 'console', offset: 1, epoch });
    const admin = await adminToken();
    await eventually(async () => {
      const ids = (await devices(gw1, admin)).devices.map((d) => d.deviceId);
      expect(ids).toEqual(expect.arrayContaining(['device-kept', 'device-doomed']));
    });
    await cluster.gateways[2]?.close();
    await sleep(ttlMs + 500);
    const ids = (await devices(gw1, admin)).devices.map((d) => d.deviceId);
    expect(ids).toContain('device-kept');
    expect(ids).not.toContain('device-doomed');
  });
});
