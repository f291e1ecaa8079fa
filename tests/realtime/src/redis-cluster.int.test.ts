import { execFile } from 'node:child_process';
import { RealtimeClient } from '@dynapharm/realtime-client';
import { startRedisCluster, type TestRedisCluster } from '@dynapharm/testkit';
import type { DeviceStatus } from '@dynapharm/types';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createClient, eventually, publishedChanges, type System, startSystem } from './system.ts';

// The whole change path on a Redis Cluster of 3 masters and 3 replicas (local
// redis-server processes): API, relay and gateways use REDIS_CLUSTER_NODES
// with the sharded adapter; registries, device acks and presence use it too.

let redis: TestRedisCluster;
const cleanups: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  redis = await startRedisCluster({ nodeTimeoutMs: 1000 });
}, 120_000);
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn().catch(() => {});
});
afterAll(async () => {
  await redis?.close();
});

async function system(gateways = 3): Promise<System> {
  const nodes = redis.ports.map((port) => ({ host: redis.host, port }));
  const sys = await startSystem({ gateways, redisCluster: nodes });
  cleanups.push(() => sys.close());
  return sys;
}

/** A client on gateway `gateway` that notes when each change arrived. */
async function listener(sys: System, gateway: number) {
  const { rt, received } = await sys.client('admin', [], [gateway]);
  const arrivals = new Map<string, number>();
  rt.on('*', (_data, event) => {
    if ('offset' in event && !arrivals.has(event.id)) arrivals.set(event.id, Date.now());
  });
  await rt.connect();
  await rt.subscribe(['clients']);
  return { rt, received, arrivals };
}

/**
 * The client got exactly the `sync_log` rows of `ids`: each once, with the
 * offsets the relay gave them, in offset order.
 */
async function expectExactlyLogged(
  sys: System,
  received: { id: string; offset: number }[],
  ids: string[],
) {
  const logged = await publishedChanges(sys.api, `record_id = ANY('{${ids.join(',')}}'::uuid[])`);
  expect(logged).toHaveLength(ids.length);
  const got = received.filter((e) => ids.includes(e.id));
  expect(got.map((e) => [e.id, e.offset])).toEqual(logged.map((r) => [r.record_id, r.offset]));
}

async function writeClients(sys: System, count: number, label: string) {
  const admin = await sys.api.token('admin');
  const branch = sys.api.branches[0]?.id ?? '';
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    ids.push(await createClient(sys.api, admin, branch, `${label} ${i}`));
  }
  return ids;
}

/** The slot of the sharded adapter's channel of the clients' namespace. */
const channelOf = (sys: System) => `${sys.api.keyPrefix}#/#`;

describe('on a Redis Cluster with the sharded adapter', () => {
  it('fans changes out to clients on 3 gateways, each exactly once, through the shard of the channel', async () => {
    const sys = await system(3);
    const clients = await Promise.all([0, 1, 2].map((g) => listener(sys, g)));
    const ids = await writeClients(sys, 30, 'Fan-out');
    for (const c of clients) {
      await eventually(() => ids.every((id) => c.arrivals.has(id)), 'all 30 changes');
      await expectExactlyLogged(sys, c.received, ids);
    }
    // Sharded Pub/Sub: the master of the channel's slot has the gateways'
    // subscriptions (and the relay's), no other master has any.
    const slot = await redis.slotOf(channelOf(sys));
    const owner = await redis.masterOf(slot);
    const masters = (await redis.nodes()).filter((n) => n.role === 'master' && !n.failing);
    for (const m of masters) {
      const out = await new Promise<string>((resolve, reject) =>
        execFile(
          'redis-cli',
          ['-p', String(m.port), 'PUBSUB', 'SHARDNUMSUB', channelOf(sys)],
          (err, stdout) => (err ? reject(err) : resolve(stdout)),
        ),
      );
      const subscribers = Number(out.trim().split('\n')[1]);
      expect(subscribers, `subscribers on :${m.port}`).toBe(m.port === owner ? 4 : 0);
    }
  });

  it('lists every gateway in /stats and shares device acks and presence across gateways', async () => {
    const sys = await system(3);
    const admin = await sys.api.token('admin');
    const stats = async (g: number) =>
      (await (await fetch(`${sys.cluster.urls[g]}/stats`)).json()) as {
        replicas: { replicaId: string }[];
      };
    // Each gateway announces itself about once a second.
    let listed: string[] = [];
    for (let i = 0; i < 50 && listed.length < 3; i++) {
      listed = (await stats(0)).replicas.map((r) => r.replicaId);
      if (listed.length < 3) await new Promise((r) => setTimeout(r, 100));
    }
    expect(listed.sort()).toEqual(sys.cluster.gateways.map((g) => g.replicaId).sort());

    // A device acknowledging through gateway 1 is seen from gateway 2.
    const branch = sys.api.branches[0]?.id ?? '';
    const token = await sys.api.token('manager', [branch], 'cluster-manager');
    const rt = new RealtimeClient({
      wsUrl: [sys.cluster.urls[1] ?? ''],
      apiUrl: sys.api.url,
      token,
      deviceId: 'cluster-device-1',
      replica: 'console',
      ackIntervalMs: 100,
      transports: ['websocket'],
      catchUpIntervalMs: 0,
    });
    cleanups.push(async () => rt.disconnect());
    await rt.connect();
    let device: DeviceStatus | undefined;
    for (let i = 0; i < 100 && !device; i++) {
      const res = await fetch(`${sys.cluster.urls[2]}/devices`, {
        headers: { authorization: `Bearer ${admin}` },
      });
      expect(res.status).toBe(200);
      const body = (await res.json()) as { devices: DeviceStatus[] };
      device = body.devices.find((d) => d.deviceId === 'cluster-device-1');
      if (!device) await new Promise((r) => setTimeout(r, 100));
    }
    expect(device).toMatchObject({ deviceId: 'cluster-device-1', replica: 'console' });

    // Presence: a user on gateway 0 sees the manager connected to gateway 1.
    const watcher = new RealtimeClient({
      wsUrl: [sys.cluster.urls[0] ?? ''],
      apiUrl: sys.api.url,
      token: await sys.api.token('staff', [branch], 'cluster-staff'),
      deviceId: 'cluster-device-2',
      transports: ['websocket'],
      catchUpIntervalMs: 0,
    });
    cleanups.push(async () => watcher.disconnect());
    await watcher.connect();
    await rt.watchPresence();
    await watcher.watchPresence();
    await eventually(
      () =>
        ['cluster-manager', 'cluster-staff'].every((u) =>
          watcher.presence(branch).some((m) => m.userId === u),
        ),
      'both users online in the branch as seen from gateway 0',
    );
  });

  it('catches a client up on everything committed while it was away', async () => {
    const sys = await system(2);
    const { rt, received } = await listener(sys, 0);
    const before = await writeClients(sys, 5, 'Before');
    await eventually(() => before.every((id) => received.some((e) => e.id === id)), 'before');
    rt.disconnect();
    const away = await writeClients(sys, 40, 'Away');
    await rt.connect();
    await eventually(
      () => away.every((id) => received.some((e) => e.id === id)),
      'the changes made while away',
    );
    await expectExactlyLogged(sys, received, [...before, ...away]);
  });

  it('fills the hole when the sharded subscriber of the channel lost its connection while the relay kept publishing', async () => {
    const sys = await system(1);
    const { received } = await listener(sys, 0);
    const owner = await redis.masterOf(await redis.slotOf(channelOf(sys)));
    // Keep cutting every subscribed connection of the channel's shard (the
    // gateway's and the relay's) while changes are written: the gateway is
    // deaf again and again while the relay, whose publishing connection is
    // not cut, publishes successfully.
    let cutting = true;
    const cutter = (async () => {
      while (cutting) {
        await new Promise<string>((resolve, reject) =>
          execFile(
            'redis-cli',
            ['-p', String(owner), 'CLIENT', 'KILL', 'TYPE', 'pubsub'],
            (err, out) => (err ? reject(err) : resolve(out)),
          ),
        );
      }
    })();
    const ids = await writeClients(sys, 20, 'While deaf');
    await new Promise((r) => setTimeout(r, 300));
    cutting = false;
    await cutter;
    await eventually(
      () => ids.every((id) => received.some((e) => e.id === id)),
      'the missed changes',
    );
    await expectExactlyLogged(sys, received, ids);
  });

  it('loses nothing when the master of the channel is killed (kill -9) while writes flow', async () => {
    const sys = await system(3);
    const clients = await Promise.all([0, 1, 2].map((g) => listener(sys, g)));
    const slot = await redis.slotOf(channelOf(sys));
    const victim = await redis.masterOf(slot);

    const admin = await sys.api.token('admin');
    const branch = sys.api.branches[0]?.id ?? '';
    const ids: string[] = [];
    const committedAt = new Map<string, number>();
    let stop = false;
    const writer = (async () => {
      for (let i = 0; !stop; i++) {
        const id = await createClient(sys.api, admin, branch, `Failover ${i}`);
        committedAt.set(id, Date.now());
        ids.push(id);
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    await eventually(() => ids.length >= 20, '20 writes before the kill');
    const killedAt = Date.now();
    await redis.kill(victim);
    cleanups.push(() => redis.start(victim).then(() => redis.waitHealthy()));

    // A replica takes over the slot.
    let promoted: number | undefined;
    for (let i = 0; i < 300 && promoted === undefined; i++) {
      const owner = await redis.masterOf(slot).catch(() => undefined);
      if (owner !== undefined && owner !== victim) promoted = owner;
      else await new Promise((r) => setTimeout(r, 50));
    }
    const promotedAt = Date.now();
    expect(promoted).toBeDefined();
    // Writes go on for a while on the new master.
    const target = ids.length + 40;
    await eventually(() => ids.length >= target, '40 more writes', 30_000);
    stop = true;
    await writer;

    for (const c of clients) {
      await eventually(
        () => ids.every((id) => c.arrivals.has(id)),
        () =>
          `all ${ids.length} changes (${ids.filter((id) => !c.arrivals.has(id)).length} missing)`,
        30_000,
      );
      await expectExactlyLogged(sys, c.received, ids);
    }

    // Failover time as the clients see it: from the kill to the first delivery
    // of a change committed after the kill.
    const firstAfter = clients.map((c) =>
      Math.min(
        ...ids
          .filter((id) => (committedAt.get(id) ?? 0) > killedAt)
          .map((id) => c.arrivals.get(id) ?? Number.POSITIVE_INFINITY),
      ),
    );
    const worst = Math.max(...firstAfter) - killedAt;
    console.log(
      `[redis-cluster] killed master :${victim}; replica :${promoted} promoted after ${
        promotedAt - killedAt
      } ms (polled); first delivery after the kill: ${firstAfter
        .map((t) => `${t - killedAt} ms`)
        .join(', ')} (gateways 0, 1, 2); ${ids.length} changes, none lost`,
    );
    expect(worst).toBeLessThan(15_000);
  });

  it('loses nothing when each master is killed in turn (kill -9, then restarted as a replica) while writes flow', async () => {
    const sys = await system(3);
    const clients = await Promise.all([0, 1, 2].map((g) => listener(sys, g)));
    const admin = await sys.api.token('admin');
    const branch = sys.api.branches[0]?.id ?? '';
    const ids: string[] = [];
    const committedAt = new Map<string, number>();
    let stop = false;
    const writer = (async () => {
      for (let i = 0; !stop; i++) {
        const id = await createClient(sys.api, admin, branch, `In turn ${i}`);
        committedAt.set(id, Date.now());
        ids.push(id);
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    cleanups.push(async () => {
      stop = true;
      await writer;
    });

    const report: string[] = [];
    // One slot in each master's range as `redis-cli --cluster create` splits them.
    for (const slot of [0, 8192, 16383]) {
      await eventually(() => ids.length >= 10 + report.length * 30, 'writes before the kill');
      const victim = await redis.masterOf(slot);
      const killedAt = Date.now();
      const before = ids.length;
      await redis.kill(victim);
      let promoted: number | undefined;
      for (let i = 0; i < 300 && promoted === undefined; i++) {
        const owner = await redis.masterOf(slot).catch(() => undefined);
        if (owner !== undefined && owner !== victim) promoted = owner;
        else await new Promise((r) => setTimeout(r, 50));
      }
      expect(promoted, `a replica took over slot ${slot}`).toBeDefined();
      const promotedAfter = Date.now() - killedAt;
      // Some writes after the kill must reach every client before the next round.
      await eventually(() => ids.length >= before + 20, '20 writes after the kill', 30_000);
      const after = ids.slice(before);
      await eventually(
        () => clients.every((c) => after.every((id) => c.arrivals.has(id))),
        'the writes after the kill on every client',
        30_000,
      );
      const firstDelivery = Math.max(
        ...clients.map((c) =>
          Math.min(
            ...after
              .filter((id) => (committedAt.get(id) ?? 0) > killedAt)
              .map((id) => c.arrivals.get(id) ?? Number.POSITIVE_INFINITY),
          ),
        ),
      );
      report.push(
        `slot ${slot}: :${victim} killed, :${promoted} promoted after ${promotedAfter} ms, first delivery on every gateway after ${firstDelivery - killedAt} ms`,
      );
      await redis.start(victim);
      await redis.waitHealthy();
    }
    stop = true;
    await writer;

    for (const c of clients) {
      await eventually(
        () => ids.every((id) => c.arrivals.has(id)),
        () => `all ${ids.length} changes`,
        30_000,
      );
      await expectExactlyLogged(sys, c.received, ids);
    }
    console.log(
      `[redis-cluster] each master in turn, ${ids.length} changes, none lost:\n  ${report.join('\n  ')}`,
    );
  }, 120_000);
});
