import type { BusRedis } from '@dynapharm/outbox';
import type { Logger } from 'pino';
import { z } from 'zod';

/** What each replica announces about itself about once a second. */
export const replicaInfoSchema = z.object({
  replicaId: z.string(),
  url: z.string(),
  version: z.string(),
  connections: z.number(),
  rooms: z.number(),
  eventsPerSec: z.number(),
  deliveriesPerSec: z.number(),
  draining: z.boolean(),
  startedAt: z.string(),
  seenAt: z.string(),
});
export type ReplicaInfo = z.infer<typeof replicaInfoSchema>;

export interface ClusterStats {
  replicas: ReplicaInfo[];
  totals: {
    replicas: number;
    connections: number;
    /** Sum of per-replica room counts: a room with sockets on two replicas counts twice. */
    rooms: number;
    eventsPerSec: number;
    deliveriesPerSec: number;
  };
}

/**
 * The cluster's list of live replicas in Redis: a sorted set of replica ids
 * scored by expiry time, and a hash of their last announcement. A replica that
 * stops announcing drops out after `ttlMs`. Both keys share a hash tag, so the
 * scheme also works on Redis Cluster.
 */
export function createReplicaRegistry(redis: BusRedis, prefix: string, ttlMs: number, log: Logger) {
  const liveKey = `{${prefix}}:gateway-replicas`;
  const infoKey = `{${prefix}}:gateway-replica-info`;

  return {
    async announce(info: ReplicaInfo): Promise<void> {
      const now = Date.now();
      await redis
        .multi()
        .zadd(liveKey, now + ttlMs, info.replicaId)
        .hset(infoKey, info.replicaId, JSON.stringify(info))
        // The keys themselves vanish when every replica is gone.
        .pexpire(liveKey, ttlMs * 10)
        .pexpire(infoKey, ttlMs * 10)
        .exec();
    },

    async remove(replicaId: string): Promise<void> {
      await redis.multi().zrem(liveKey, replicaId).hdel(infoKey, replicaId).exec();
    },

    async read(): Promise<ClusterStats> {
      const now = Date.now();
      const [expired, live] = await Promise.all([
        redis.zrangebyscore(liveKey, '-inf', now),
        redis.zrangebyscore(liveKey, now, '+inf'),
      ]);
      if (expired.length > 0) {
        await redis
          .multi()
          .zrem(liveKey, ...expired)
          .hdel(infoKey, ...expired)
          .exec();
      }
      const raw = live.length > 0 ? await redis.hmget(infoKey, ...live) : [];
      const replicas: ReplicaInfo[] = [];
      for (const entry of raw) {
        if (entry === null) continue;
        const parsed = replicaInfoSchema.safeParse(safeJson(entry));
        if (parsed.success) replicas.push(parsed.data);
        else log.debug({ issues: parsed.error.issues }, 'ignoring malformed replica announcement');
      }
      replicas.sort((a, b) => a.replicaId.localeCompare(b.replicaId));
      const sum = (pick: (r: ReplicaInfo) => number) => replicas.reduce((n, r) => n + pick(r), 0);
      return {
        replicas,
        totals: {
          replicas: replicas.length,
          connections: sum((r) => r.connections),
          rooms: sum((r) => r.rooms),
          eventsPerSec: sum((r) => r.eventsPerSec),
          deliveriesPerSec: sum((r) => r.deliveriesPerSec),
        },
      };
    },
  };
}

export type ReplicaRegistry = ReturnType<typeof createReplicaRegistry>;

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
