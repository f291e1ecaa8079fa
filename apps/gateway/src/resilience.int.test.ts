import { stack, startRedis, type TestServer } from '@dynapharm/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  adminToken,
  type ClientSocket,
  type Cluster,
  changeEvent,
  closeClients,
  connect,
  createRelayPublisher,
  eventually,
  record,
  startCluster,
  subscribe,
} from './testing/cluster.ts';

describe('Redis outage', () => {
  let redis: TestServer;
  let cluster: Cluster;
  let relay: ReturnType<typeof createRelayPublisher>;

  beforeAll(async () => {
    redis = await startRedis({ mode: stack().mode });
    cluster = await startCluster(3, { bus: { redisUrl: redis.url } });
    relay = createRelayPublisher(cluster.bus);
  });
  afterEach(closeClients);
  afterAll(async () => {
    relay?.close();
    await cluster?.close();
    await redis?.close();
  });

  it('keeps the gateways up while Redis is gone and delivers again once it is back', async () => {
    const clients = await Promise.all(
      cluster.urls.map(async (url) => {
        const socket = await connect(url, { token: await adminToken() });
        await subscribe(socket, ['clients']);
        return { socket, seen: record(socket) };
      }),
    );
    const before = changeEvent();
    await relay.publish([before]);
    await eventually(() => {
      for (const { seen } of clients) expect(seen).toEqual([before]);
    });

    await redis.stop();
    await eventually(async () => {
      const res = await fetch(`${cluster.urls[0]}/health`);
      expect(res.status).toBe(503);
      expect(await res.json()).toMatchObject({
        status: 'unavailable',
        reason: expect.stringMatching(/redis/),
      });
    });
    // Still serving HTTP and holding its clients.
    expect((await fetch(`${cluster.urls[1]}/`)).status).toBe(200);
    const publishWhileDown = await fetch(`${cluster.urls[1]}/stats`);
    expect(publishWhileDown.status).toBe(503);

    await redis.start();
    await eventually(async () => {
      for (const url of cluster.urls) expect((await fetch(`${url}/health`)).status).toBe(200);
    }, 10_000);

    const after = changeEvent({ action: 'updated', version: 2 });
    // The subscriber connections resubscribe shortly after reconnecting.
    await eventually(async () => {
      await relay.publish([after]);
      for (const { seen } of clients) expect(seen.at(-1)).toEqual(after);
    }, 10_000);
    for (const { socket } of clients) expect(socket.connected).toBe(true);
  }, 30_000);
});

describe('drain', () => {
  let cluster: Cluster;

  beforeAll(async () => {
    cluster = await startCluster(2, { drainSpreadMs: 300, drainTimeoutMs: 2_000 });
  });
  afterEach(closeClients);
  afterAll(async () => {
    await cluster?.close();
  });

  it('tells clients to move, disconnects them over the window and turns health to 503', async () => {
    const [draining, staying] = cluster.gateways;
    const [drainUrl, stayUrl] = cluster.urls;
    const leaving: ClientSocket[] = await Promise.all(
      [1, 2, 3].map(async () => connect(drainUrl ?? '', { token: await adminToken() })),
    );
    const other = await connect(stayUrl ?? '', { token: await adminToken() });
    const notices = leaving.map(
      (socket) =>
        new Promise<{ replicaId: string; reconnectInMs: number }>((resolve) =>
          socket.once('server:draining', resolve),
        ),
    );
    const gone = leaving.map(
      (socket) => new Promise<string>((resolve) => socket.once('disconnect', resolve)),
    );

    const done = draining?.drain();
    const health = await fetch(`${drainUrl}/health`);
    expect(health.status).toBe(503);
    expect(await health.json()).toMatchObject({ status: 'draining' });
    await expect(connect(drainUrl ?? '', { token: await adminToken() })).rejects.toThrow();

    for (const notice of await Promise.all(notices)) {
      expect(notice.replicaId).toBe(draining?.replicaId);
      expect(notice.reconnectInMs).toBeGreaterThanOrEqual(0);
      expect(notice.reconnectInMs).toBeLessThan(300);
    }
    // A transport close lets stock clients reconnect (elsewhere) on their own.
    expect(await Promise.all(gone)).toEqual(Array(3).fill('transport close'));
    await done;
    expect(draining?.httpServer.listening).toBe(false);
    expect(other.connected).toBe(true);
    const stats = (await (await fetch(`${stayUrl}/stats`)).json()) as {
      replicas: { replicaId: string }[];
    };
    expect(stats.replicas.map((r) => r.replicaId)).toEqual([staying?.replicaId]);
  }, 10_000);
});
