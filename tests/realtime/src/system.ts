import { startTestApi, type TestApi } from '@dynapharm/api/testing';
import { type Cluster, startCluster } from '@dynapharm/gateway/testing';
import { RealtimeClient } from '@dynapharm/realtime-client';
import type { ChangeEvent, Role } from '@dynapharm/types';

export interface System {
  api: TestApi;
  cluster: Cluster;
  /** A realtime client on the given gateways that records every delivered change. */
  client(
    role: Role,
    branches: string[],
    gateways?: number[],
  ): Promise<{ rt: RealtimeClient; received: ChangeEvent[] }>;
  close(): Promise<void>;
}

/**
 * The whole change path in one process: an API with its relay on a seeded
 * database, `gateways` Socket.IO replicas sharing the relay's adapter prefix,
 * and realtime clients whose catch-up goes to the API.
 */
export async function startSystem(
  options: {
    gateways?: number;
    redisUrl?: string;
    /** Seed nodes of a Redis Cluster: API and gateways use it with the sharded adapter. */
    redisCluster?: { host: string; port: number }[];
    relay?: boolean;
  } = {},
): Promise<System> {
  const { redisCluster, redisUrl } = options;
  const env = redisCluster
    ? { REDIS_CLUSTER_NODES: redisCluster, REDIS_ADAPTER: 'sharded' as const }
    : redisUrl
      ? { REDIS_URL: redisUrl }
      : {};
  const api = await startTestApi({ env, relay: options.relay, pollMs: 100 });
  const cluster = await startCluster(options.gateways ?? 3, {
    bus: {
      keyPrefix: api.keyPrefix,
      ...(redisCluster ? { clusterNodes: redisCluster, adapter: 'sharded' as const } : {}),
      ...(redisUrl ? { redisUrl } : {}),
    },
  });
  const clients: RealtimeClient[] = [];
  return {
    api,
    cluster,
    async client(role, branches, gateways = [0]) {
      const token = await api.token(role, branches, `${role}-${clients.length}`);
      const rt = new RealtimeClient({
        wsUrl: gateways.map((i) => cluster.urls[i] ?? ''),
        apiUrl: api.url,
        token,
        reconnectDelayMs: { min: 100, max: 1000 },
        transports: ['websocket'],
        catchUpIntervalMs: 0,
      });
      const received: ChangeEvent[] = [];
      rt.on('*', (_data, event) => {
        if ('offset' in event) received.push(event);
      });
      clients.push(rt);
      return { rt, received };
    },
    async close() {
      for (const c of clients) c.disconnect();
      await cluster.close();
      await api.close();
    },
  };
}

/** Polls until `check` passes or the time is up (then throws with `what`). */
export async function eventually(
  check: () => boolean,
  what: string | (() => string),
  timeoutMs = 15_000,
) {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${typeof what === 'function' ? what() : what}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Every published change of the database in offset order, as `sync_log` holds it. */
export async function publishedChanges(api: TestApi, filter = 'TRUE') {
  const { rows } = await api.api.pool.query<{
    offset: string;
    resource: string;
    record_id: string;
    version: number;
    branch_id: string | null;
  }>(
    `SELECT "offset", resource, record_id, version, branch_id FROM sync_log
      WHERE "offset" IS NOT NULL AND ${filter} ORDER BY "offset"`,
  );
  return rows.map((r) => ({ ...r, offset: Number(r.offset) }));
}

/** Creates a client through the API as an admin and returns its id. */
export async function createClient(api: TestApi, token: string, branchId: string, name: string) {
  const res = await api.request('/api/clients', {
    method: 'POST',
    token,
    json: { branchId, fullName: name },
  });
  if (res.status !== 201) throw new Error(`create failed: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { id: string }).id;
}
