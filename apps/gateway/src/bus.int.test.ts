import {
  type BusAdapterKind,
  type BusConfig,
  type ClusterNode,
  createRelay,
  type Relay,
} from '@dynapharm/outbox';
import {
  createTestDatabase,
  type IsolatedDatabase,
  redisNamespace,
  startRedisCluster,
  type TestRedisCluster,
} from '@dynapharm/testkit';
import pg from 'pg';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  adminToken,
  type Cluster,
  closeClients,
  connect,
  eventually,
  record,
  sleep,
  startCluster,
  subscribe,
} from './testing/cluster.ts';

// The relay and the gateways build their adapters from one bus config. These
// tests run the real relay against real gateways: same config → delivery (for
// both adapter kinds); a gateway on another adapter kind hears nothing, and
// says so in /health instead of failing silently.

let database: IsolatedDatabase;
let writer: pg.Pool;
const relays: Relay[] = [];
const clusters: Cluster[] = [];

beforeAll(async () => {
  database = await createTestDatabase();
  writer = new pg.Pool({ connectionString: database.url, max: 1 });
});

afterEach(async () => {
  closeClients();
  await Promise.all(clusters.splice(0).map((c) => c.close()));
  await Promise.all(relays.splice(0).map((r) => r.close()));
});

afterAll(async () => {
  await writer.end();
  await database.drop();
});

function startRelay(
  adapter: BusAdapterKind,
  keyPrefix: string,
  redisUrl: string,
  clusterNodes?: BusConfig['clusterNodes'],
) {
  const relay = createRelay({
    databaseUrl: database.url,
    bus: { adapter, keyPrefix, redisUrl, ...(clusterNodes ? { clusterNodes } : {}) },
    logger: pino({ level: 'silent' }),
    pollIntervalMs: 50,
    beatIntervalMs: 200,
  });
  relay.start();
  relays.push(relay);
  return relay;
}

async function addProduct(name: string) {
  await writer.query(
    `INSERT INTO products (id, sku, name, category, unit_price_cents)
     VALUES (gen_random_uuid(), $1, $1, 'test', 100)`,
    [name],
  );
}

async function relayStatus(url: string) {
  const body = (await (await fetch(`${url}/health`)).json()) as { relay?: { status: string } };
  return body.relay?.status;
}

// Started on first use: only the Redis Cluster cases need one.
let redisCluster: Promise<TestRedisCluster> | undefined;
afterAll(async () => {
  await (await redisCluster)?.close();
});
async function clusterNodes(): Promise<ClusterNode[]> {
  redisCluster ??= startRedisCluster();
  const started = await redisCluster;
  return started.ports.map((port) => ({ host: started.host, port }));
}

describe.each([
  { adapter: 'classic', redis: 'one Redis' },
  { adapter: 'sharded', redis: 'one Redis' },
  { adapter: 'sharded', redis: 'a Redis Cluster' },
  { adapter: 'classic', redis: 'a Redis Cluster' },
] as const)('one bus config, $adapter adapter on $redis', ({ adapter, redis }) => {
  it('delivers what the relay publishes and reports the relay as heard', async () => {
    const nodes = redis === 'a Redis Cluster' ? await clusterNodes() : undefined;
    const cluster = await startCluster(2, {
      bus: {
        adapter,
        keyPrefix: redisNamespace('bus').replace(/:$/, ''),
        ...(nodes ? { clusterNodes: nodes } : {}),
      },
      relayQuietMs: 1_500,
    });
    clusters.push(cluster);
    if (nodes) {
      const health = (await (await fetch(`${cluster.urls[0]}/health`)).json()) as {
        redis: { bus: string };
      };
      expect(health.redis.bus).toContain(`on cluster ${nodes[0]?.host}:${nodes[0]?.port}`);
    }
    startRelay(adapter, cluster.bus.keyPrefix, cluster.bus.redisUrl, nodes);
    const seen = await Promise.all(
      cluster.urls.map(async (url) => {
        const socket = await connect(url, { token: await adminToken() });
        await subscribe(socket, ['products']);
        return record(socket);
      }),
    );
    const name = `bus-${adapter}-${Date.now()}`;
    await addProduct(name);
    await eventually(() => {
      for (const mine of seen) expect(mine.map((e) => e.data.name)).toContain(name);
    }, 10_000);
    for (const url of cluster.urls) {
      await eventually(async () => expect(await relayStatus(url)).toBe('ok'), 5_000);
    }
    // Forming the Redis Cluster takes a few seconds the first time.
  }, 60_000);
});

describe('a gateway on another bus than the relay', () => {
  it('hears nothing and reports the relay as silent', async () => {
    const keyPrefix = redisNamespace('bus').replace(/:$/, '');
    const cluster = await startCluster(1, {
      bus: { adapter: 'sharded', keyPrefix },
      relayQuietMs: 1_000,
    });
    clusters.push(cluster);
    startRelay('classic', keyPrefix, cluster.bus.redisUrl);
    const socket = await connect(cluster.urls[0] ?? '', { token: await adminToken() });
    await subscribe(socket, ['products']);
    const seen = record(socket);
    await addProduct(`mismatch-${Date.now()}`);
    await eventually(
      async () => expect(await relayStatus(cluster.urls[0] ?? '')).toBe('silent'),
      5_000,
    );
    await sleep(300);
    expect(seen).toEqual([]);
  });
});
