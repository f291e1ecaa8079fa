import { startTestApi } from '@dynapharm/api/testing';
import { stack, startRedis, type TestServer } from '@dynapharm/testkit';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { createClient, eventually, publishedChanges, type System, startSystem } from './system.ts';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn().catch(() => {});
});

async function system(options: Parameters<typeof startSystem>[0] = {}): Promise<System> {
  const sys = await startSystem(options);
  cleanups.push(() => sys.close());
  return sys;
}

async function writeClients(sys: System, count: number, label: string) {
  const admin = await sys.api.token('admin');
  const branch = sys.api.branches[0]?.id ?? '';
  const ids: string[] = [];
  for (let i = 0; i < count; i++)
    ids.push(await createClient(sys.api, admin, branch, `${label} ${i}`));
  return ids;
}

function expectExactlyOnce(received: { id: string; offset: number }[], ids: string[]) {
  const got = received.filter((e) => ids.includes(e.id));
  expect(new Set(got.map((e) => e.id))).toEqual(new Set(ids));
  expect(got).toHaveLength(ids.length);
  const offsets = got.map((e) => e.offset);
  expect(offsets).toEqual([...offsets].sort((a, b) => a - b));
}

describe('failures on the change path', () => {
  it('delivers every change committed while Redis was down once it is back', async () => {
    const redis: TestServer = await startRedis({ mode: stack().mode });
    cleanups.push(() => redis.close());
    const sys = await system({ redisUrl: redis.url });
    const { rt, received } = await sys.client('admin', [], [0]);
    await rt.connect();
    await rt.subscribe(['clients']);
    const before = await writeClients(sys, 3, 'Before outage');
    await eventually(
      () => before.every((id) => received.some((e) => e.id === id)),
      'pre-outage events',
    );

    await redis.stop();
    const during = await writeClients(sys, 20, 'During outage');
    await new Promise((r) => setTimeout(r, 500));
    await redis.start();

    await eventually(
      () => during.every((id) => received.some((e) => e.id === id)),
      'changes committed during the outage',
      20_000,
    );
    expectExactlyOnce(received, [...before, ...during]);
  });

  it('fills the hole when a gateway missed broadcasts while its Redis subscriber reconnected', async () => {
    // A Redis of its own: killing every subscriber of the shared one would also
    // cut the gateways of test files running in parallel.
    const redis: TestServer = await startRedis({ mode: stack().mode });
    cleanups.push(() => redis.close());
    const sys = await system({ gateways: 1, redisUrl: redis.url });
    const { rt, received } = await sys.client('admin', [], [0]);
    await rt.connect();
    await rt.subscribe(['clients']);
    const admin = new Redis(sys.cluster.redisUrl);
    cleanups.push(async () => admin.disconnect());
    // Cut every subscriber connection: the gateway is deaf until it reconnects,
    // while the relay keeps publishing successfully.
    await admin.client('KILL', 'TYPE', 'pubsub');
    const ids = await writeClients(sys, 5, 'While deaf');
    await eventually(
      () => ids.every((id) => received.some((e) => e.id === id)),
      'the missed changes',
    );
    expectExactlyOnce(received, ids);
  });

  it('moves clients of a killed gateway to another replica with nothing lost', async () => {
    const sys = await system({ gateways: 3 });
    const { rt, received } = await sys.client('admin', [], [0, 1, 2]);
    await rt.connect();
    await rt.subscribe(['clients']);
    const first = rt.replicaId;
    expect(first).toBeDefined();

    const writing = writeClients(sys, 40, 'Through the crash');
    await new Promise((r) => setTimeout(r, 50));
    const victim = sys.cluster.gateways[0];
    // Without a drain: sockets are cut as if the process died.
    victim?.io.disconnectSockets(true);
    await victim?.close();
    const ids = await writing;

    await eventually(
      () => ids.every((id) => received.some((e) => e.id === id)),
      'all 40 changes',
      20_000,
    );
    expect(rt.replicaId).not.toBe(first);
    expect(rt.isConnected).toBe(true);
    expectExactlyOnce(received, ids);
  });

  it('lets a standby relay take over from a dead leader without loss or repeats', async () => {
    const sys = await system({ gateways: 2 });
    const standby = await startTestApi({
      database: sys.api.database,
      keyPrefix: sys.api.keyPrefix,
      pollMs: 100,
    });
    cleanups.push(() => standby.close());
    await eventually(() => sys.api.api.relay.isLeader(), 'the first API to lead');
    expect(standby.api.relay.isLeader()).toBe(false);

    const { rt, received } = await sys.client('admin', [], [1]);
    await rt.connect();
    await rt.subscribe(['clients']);

    const writing = writeClients(sys, 60, 'Leader change');
    await new Promise((r) => setTimeout(r, 100));
    // The leader's session dies (as when its process is killed): the advisory lock goes with it.
    await sys.api.api.relay.close();
    const ids = await writing;

    await eventually(() => standby.api.relay.isLeader(), 'the standby to take over', 10_000);
    await eventually(
      () => ids.every((id) => received.some((e) => e.id === id)),
      'all 60 changes',
      20_000,
    );
    expectExactlyOnce(received, ids);
    const logged = await publishedChanges(sys.api, `record_id = ANY('{${ids.join(',')}}'::uuid[])`);
    expect(logged).toHaveLength(60);
  });

  it('publishes changes committed while no relay ran (an API that died after commit)', async () => {
    const sys = await system({ gateways: 1, relay: false });
    const { rt, received } = await sys.client('admin', [], [0]);
    await rt.connect();
    await rt.subscribe(['clients']);
    const ids = await writeClients(sys, 10, 'Committed, not published');
    await new Promise((r) => setTimeout(r, 300));
    expect(received.filter((e) => ids.includes(e.id))).toHaveLength(0);
    const recovering = await startTestApi({
      database: sys.api.database,
      keyPrefix: sys.api.keyPrefix,
      pollMs: 100,
    });
    cleanups.push(() => recovering.close());
    await eventually(() => recovering.api.relay.isLeader(), 'the new relay');
    await eventually(
      () => ids.every((id) => received.some((e) => e.id === id)),
      'the 10 changes',
      15_000,
    );
    expectExactlyOnce(received, ids);
  });
});
