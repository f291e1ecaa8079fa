import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedisCluster, type TestRedisCluster } from './redis-cluster.ts';

describe('startRedisCluster', () => {
  let cluster: TestRedisCluster;
  let client: Cluster;

  beforeAll(async () => {
    cluster = await startRedisCluster();
    client = new Cluster(cluster.ports.map((port) => ({ host: cluster.host, port })));
  }, 90_000);

  afterAll(async () => {
    client?.disconnect();
    await cluster?.close();
  });

  it('forms 3 masters with one replica each, covering every slot', async () => {
    const nodes = await cluster.nodes();
    const masters = nodes.filter((n) => n.role === 'master');
    expect(masters).toHaveLength(3);
    expect(nodes.filter((n) => n.role === 'replica')).toHaveLength(3);
    const covered = masters.flatMap((m) => m.slots).reduce((n, [a, b]) => n + b - a + 1, 0);
    expect(covered).toBe(16_384);
    expect(cluster.nodesEnv.split(',')).toHaveLength(6);
  });

  it('promotes the replica of a killed master and keeps the data', async () => {
    await client.set('{k}:value', 'kept');
    // Replication is asynchronous: wait until the replica has the write.
    await client.wait(1, 1000);
    const slot = await cluster.slotOf('{k}:value');
    const before = await cluster.masterOf(slot);
    await cluster.kill(before);
    const after = await waitFor(async () => {
      const port = await cluster.masterOf(slot).catch(() => before);
      return port === before ? undefined : port;
    });
    expect(after).not.toBe(before);
    await cluster.waitHealthy();
    expect(await client.get('{k}:value')).toBe('kept');
    await cluster.start(before);
    await waitFor(async () =>
      (await cluster.nodes()).some((n) => n.port === before && n.role === 'replica' && !n.failing)
        ? true
        : undefined,
    );
  }, 60_000);
});

async function waitFor<T>(probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('timed out');
}
