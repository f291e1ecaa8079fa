import { createAdapter, createShardedAdapter } from '@socket.io/redis-adapter';
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import type { Namespace } from 'socket.io';
import type { BusConfig } from './config.ts';

/** A client of the bus's Redis: one server (`Redis`) or a Redis Cluster (`Cluster`). */
export type BusRedis = Redis | Cluster;

export interface BusRedisOptions extends RedisOptions {
  /**
   * The client subscribes (the adapter's subscriber). On a cluster it then
   * keeps one sharded subscriber per master, so `SSUBSCRIBE` reaches the
   * shard that owns each channel and follows a failover.
   */
  subscriber?: boolean;
}

/**
 * The one place a Redis client of the bus is built: a `Redis` on `redisUrl`,
 * or, when the config names cluster nodes, a `Cluster` seeded with them that
 * routes every command (and `SPUBLISH`/`SSUBSCRIBE`) by slot. `options` are
 * the per-connection settings; on a cluster `retryStrategy` becomes the
 * cluster's reconnect strategy and `enableOfflineQueue` the cluster's queue.
 */
export function createBusRedis(config: BusConfig, options: BusRedisOptions = {}): BusRedis {
  const { subscriber = false, ...redisOptions } = options;
  if (!config.clusterNodes?.length) return new Redis(config.redisUrl, redisOptions);
  const { retryStrategy, enableOfflineQueue, ...perNode } = redisOptions;
  return new Cluster(
    config.clusterNodes.map((n) => ({ host: n.host, port: n.port })),
    {
      redisOptions: perNode,
      shardedSubscribers: subscriber,
      ...(retryStrategy ? { clusterRetryStrategy: (times: number) => retryStrategy(times) } : {}),
      ...(enableOfflineQueue === undefined ? {} : { enableOfflineQueue }),
      // A failover moves slots: learn the new owners soon after, not only on MOVED.
      slotsRefreshInterval: 1000,
      retryDelayOnFailover: 200,
      retryDelayOnClusterDown: 200,
    },
  );
}

/** The Socket.IO adapter factory of a bus: what `new Server({ adapter })` takes. */
export function createBusAdapter(
  config: BusConfig,
  pub: BusRedis,
  sub: BusRedis,
): (nsp: Namespace) => Namespace['adapter'] {
  return config.adapter === 'sharded'
    ? // "static": two channels per namespace, so a join never waits on a new SSUBSCRIBE.
      createShardedAdapter(pub, sub, {
        channelPrefix: config.keyPrefix,
        subscriptionMode: 'static',
      })
    : createAdapter(pub, sub, { key: config.keyPrefix });
}

/**
 * The publisher and subscriber connections of a bus. The publisher fails fast
 * while Redis is down (no offline queue), so a caller learns at once that a
 * message did not go out instead of having it sent late or never.
 */
export function createBusConnections(config: BusConfig, options: RedisOptions = {}) {
  const pub = createBusRedis(config, { enableOfflineQueue: false, ...options });
  const sub = createBusRedis(config, { ...options, subscriber: true });
  // Failures reach the caller through the publishes' promises. A `Cluster`
  // emits 'error' when a shard's subscriber cannot reconnect (its master just
  // died), which would throw without a listener.
  for (const client of [pub, sub]) client.on('error', () => {});
  return { pub, sub };
}
