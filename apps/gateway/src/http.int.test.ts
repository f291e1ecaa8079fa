import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  adminToken,
  type Cluster,
  changeEvent,
  closeClients,
  connect,
  eventually,
  postPublish,
  publishable,
  startCluster,
} from './testing/cluster.ts';

interface StatsBody {
  replicas: { replicaId: string; connections: number; url: string }[];
  totals: { replicas: number; connections: number };
}

describe('HTTP surface', () => {
  let cluster: Cluster;
  let url: string;

  beforeAll(async () => {
    cluster = await startCluster(3, { maxPublishBytes: 8 * 1024 });
    url = cluster.urls[0] ?? '';
  });
  afterEach(closeClients);
  afterAll(async () => {
    await cluster?.close();
  });

  it('describes the service and reports health', async () => {
    const info = await (await fetch(`${url}/`)).json();
    expect(info).toMatchObject({
      service: '@dynapharm/gateway',
      replicaId: cluster.gateways[0]?.replicaId,
      connections: 0,
    });
    const health = await fetch(`${url}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok' });
  });

  it('answers unknown routes and methods with JSON errors', async () => {
    const missing = await fetch(`${url}/admin`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({
      error: { code: 'not_found', message: 'no route for /admin' },
    });
    const wrongMethod = await fetch(`${url}/publish`);
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toBe('POST');
  });

  it('refuses /publish without the service token', async () => {
    const event = changeEvent();
    for (const authorization of [undefined, 'Bearer wrong-token', 'Basic abc']) {
      const res = await fetch(`${url}/publish`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(authorization ? { authorization } : {}),
        },
        body: JSON.stringify({ event }),
      });
      expect(res.status).toBe(401);
      expect(await res.json()).toMatchObject({ error: { code: 'unauthorized' } });
    }
  });

  it('refuses non-JSON, oversized and invalid /publish bodies, naming the field', async () => {
    const text = await postPublish(url, 'hello', { 'content-type': 'text/plain' });
    expect(text.status).toBe(415);
    expect(await text.json()).toMatchObject({ error: { code: 'unsupported_media_type' } });

    const huge = await postPublish(url, {
      event: changeEvent({ data: { blob: 'x'.repeat(20_000) } }),
    });
    expect(huge.status).toBe(413);
    expect(await huge.json()).toMatchObject({ error: { code: 'payload_too_large' } });

    const malformed = await postPublish(url, '{"event":');
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toMatchObject({ error: { code: 'malformed_json' } });

    const badBranch = await postPublish(url, { event: { ...publishable(), branchId: 'branch-1' } });
    expect(badBranch.status).toBe(400);
    const body = (await badBranch.json()) as {
      error: { code: string; message: string; details: { path: string }[] };
    };
    expect(body.error.code).toBe('validation_failed');
    expect(body.error.message).toContain('event.branchId');
    expect(body.error.details.map((d) => d.path)).toEqual(['event.branchId']);

    const both = await postPublish(url, { event: publishable(), events: [publishable()] });
    expect(both.status).toBe(400);
    const unknownKey = await postPublish(url, { event: publishable(), rooms: ['clients'] });
    expect(unknownKey.status).toBe(400);
    expect(JSON.stringify(await unknownKey.json())).toContain('rooms');

    // Only the relay positions changes: a forged offset would make clients skip real ones.
    const positioned = await postPublish(url, { events: [changeEvent()] });
    expect(positioned.status).toBe(400);
    const refused = JSON.stringify(await positioned.json());
    expect(refused).toContain('offset');
    expect(refused).toContain('epoch');
  });

  it('shows every replica and its connections in /stats, and drops a dead one', async () => {
    await connect(cluster.urls[0] ?? '', { token: await adminToken() });
    await connect(cluster.urls[0] ?? '', { token: await adminToken() });
    await connect(cluster.urls[1] ?? '', { token: await adminToken() });
    const ids = cluster.gateways.map((g) => g.replicaId);

    const stats = await eventually(async () => {
      const body = (await (await fetch(`${cluster.urls[2]}/stats`)).json()) as StatsBody;
      expect(body.replicas.map((r) => [r.replicaId, r.connections])).toEqual([
        [ids[0], 2],
        [ids[1], 1],
        [ids[2], 0],
      ]);
      return body;
    });
    expect(stats.totals).toMatchObject({ replicas: 3, connections: 3 });
    expect(stats.replicas[1]?.url).toBe(cluster.urls[1]);

    // A replica that stops announcing (killed, not closed) leaves after the TTL.
    const redis = new Redis(cluster.redisUrl);
    const ghost = { ...stats.replicas[0], replicaId: `${cluster.prefix}-ghost`, connections: 7 };
    await redis
      .multi()
      .zadd(`{${cluster.prefix}}:gateway-replicas`, Date.now() + 1_000, ghost.replicaId)
      .hset(`{${cluster.prefix}}:gateway-replica-info`, ghost.replicaId, JSON.stringify(ghost))
      .exec();
    redis.disconnect();
    const read = async () =>
      ((await (await fetch(`${cluster.urls[2]}/stats`)).json()) as StatsBody).replicas.map(
        (r) => r.replicaId,
      );
    expect(await read()).toContain(ghost.replicaId);
    await eventually(async () => expect(await read()).not.toContain(ghost.replicaId), 3_000);
  });

  it('exposes Prometheus metrics', async () => {
    const res = await fetch(`${url}/metrics`);
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toContain('gateway_connections');
    expect(text).toContain('gateway_redis_up 1');
    expect(text).toContain('gateway_events_delivered_total');
    expect(text).toContain('gateway_subscribe_denied_total');
  });
});
