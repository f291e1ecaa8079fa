import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  adminToken,
  branchA,
  branchB,
  type Cluster,
  changeEvent,
  closeClients,
  connect,
  createRelayPublisher,
  eventually,
  helloOf,
  postPublish,
  publishable,
  record,
  sleep,
  staffToken,
  startCluster,
  subscribe,
} from './testing/cluster.ts';

describe('fan-out across three replicas', () => {
  let cluster: Cluster;
  let relay: ReturnType<typeof createRelayPublisher>;

  beforeAll(async () => {
    cluster = await startCluster(3);
    relay = createRelayPublisher(cluster.bus);
  });
  afterEach(closeClients);
  afterAll(async () => {
    relay?.close();
    await cluster?.close();
  });

  it('delivers a relay event once to every subscriber on every replica', async () => {
    const admins = await Promise.all(
      cluster.urls.map(async (url, i) => {
        const socket = await connect(url, { token: await adminToken() });
        await eventually(() => expect(helloOf(socket)).toBe(cluster.gateways[i]?.replicaId));
        // In both rooms of a branch change: must still get one copy.
        const ack = await subscribe(socket, ['clients', `clients@${branchA}`]);
        expect(ack).toEqual({ granted: ['clients', `clients@${branchA}`], denied: [] });
        return record(socket);
      }),
    );
    const staff = await Promise.all(
      cluster.urls.map(async (url) => {
        const socket = await connect(url, { token: await staffToken(branchA) });
        expect(await subscribe(socket, ['clients'])).toEqual({
          granted: [`clients@${branchA}`],
          denied: [],
        });
        return record(socket);
      }),
    );

    const event = changeEvent();
    await relay.publish([event]);

    await eventually(() => {
      for (const seen of [...admins, ...staff]) expect(seen).toHaveLength(1);
    });
    await sleep(200);
    for (const seen of [...admins, ...staff]) expect(seen).toEqual([event]);
    const metrics = await (await fetch(`${cluster.urls[0]}/metrics`)).text();
    expect(metrics).toContain('gateway_events_broadcast_total 1\n');
    expect(metrics).toContain('gateway_events_delivered_total 2\n');
  });

  it('keeps branch B events away from branch A staff and refuses their subscription', async () => {
    const staffA = await connect(cluster.urls[0] ?? '', { token: await staffToken(branchA) });
    expect(await subscribe(staffA, ['orders', `orders@${branchB}`])).toEqual({
      granted: [`orders@${branchA}`],
      denied: [{ channel: `orders@${branchB}`, reason: 'forbidden' }],
    });
    const staffSeen = record(staffA);
    const admin = await connect(cluster.urls[1] ?? '', { token: await adminToken() });
    await subscribe(admin, ['orders']);
    const adminSeen = record(admin);

    const inB = changeEvent({ resource: 'orders', branchId: branchB });
    const inA = changeEvent({ resource: 'orders', branchId: branchA });
    await relay.publish([inB]);
    await relay.publish([inA]);

    await eventually(() => expect(adminSeen).toHaveLength(2));
    await eventually(() => expect(staffSeen).toHaveLength(1));
    await sleep(200);
    expect(staffSeen).toEqual([inA]);
    expect(adminSeen.map((e) => e.id)).toEqual([inB.id, inA.id]);
  });

  it('delivers global resources to everyone on the resource room', async () => {
    const staffB = await connect(cluster.urls[2] ?? '', { token: await staffToken(branchB) });
    expect(await subscribe(staffB, ['products'])).toEqual({ granted: ['products'], denied: [] });
    const seen = record(staffB);
    const product = changeEvent({ resource: 'products', branchId: null, action: 'updated' });
    await relay.publish([product]);
    await eventually(() => expect(seen).toEqual([product]));
  });

  it('broadcasts a POST /publish cluster-wide under <resource>:<action>', async () => {
    const names: string[][] = [];
    await Promise.all(
      cluster.urls.map(async (url, i) => {
        const socket = await connect(url, { token: await staffToken(branchA) });
        await subscribe(socket, ['stock']);
        const mine: string[] = [];
        names[i] = mine;
        socket.onAny((name: string) => {
          if (!name.startsWith('server:')) mine.push(name);
        });
      }),
    );
    const event = publishable({ resource: 'stock', action: 'updated', branchId: branchA });
    const res = await postPublish(cluster.urls[0] ?? '', { event });
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ published: 1 });
    await eventually(() =>
      expect(names).toEqual([['stock:updated'], ['stock:updated'], ['stock:updated']]),
    );
  });

  it('unsubscribe stops delivery', async () => {
    const socket = await connect(cluster.urls[1] ?? '', { token: await staffToken(branchA) });
    await subscribe(socket, ['reports']);
    expect(await socket.timeout(3_000).emitWithAck('unsubscribe', ['reports'])).toEqual({
      granted: ['reports'],
      denied: [],
    });
    const seen = record(socket);
    const control = await connect(cluster.urls[1] ?? '', { token: await adminToken() });
    await subscribe(control, ['reports']);
    const controlSeen = record(control);
    const event = changeEvent({ resource: 'reports' });
    await relay.publish([event]);
    await eventually(() => expect(controlSeen).toHaveLength(1));
    await sleep(100);
    expect(seen).toEqual([]);
  });
});

describe('sharded adapter', () => {
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = await startCluster(3, { bus: { adapter: 'sharded' } });
  });
  afterEach(closeClients);
  afterAll(async () => {
    await cluster?.close();
  });

  it('shares rooms across replicas through sharded Pub/Sub', async () => {
    const seen = await Promise.all(
      cluster.urls.map(async (url) => {
        const socket = await connect(url, { token: await adminToken() });
        await subscribe(socket, ['clients', `clients@${branchB}`]);
        return record(socket);
      }),
    );
    const event = publishable({ branchId: branchB });
    expect((await postPublish(cluster.urls[2] ?? '', { events: [event] })).status).toBe(202);
    await eventually(() => {
      for (const mine of seen) expect(mine).toEqual([event]);
    });
  });
});
