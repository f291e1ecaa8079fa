import { createAdapter, createShardedAdapter } from '@socket.io/redis-adapter';
import { Redis, type RedisOptions } from 'ioredis';
import type { Namespace } from 'socket.io';
import type { BusConfig } from './config.ts';

/** The Socket.IO adapter factory of a bus: what `new Server({ adapter })` takes. */
export function createBusAdapter(
  config: BusConfig,
  pub: Redis,
  sub: Redis,
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
  const pub = new Redis(config.redisUrl, { enableOfflineQueue: false, ...options });
  const sub = new Redis(config.redisUrl, options);
  return { pub, sub };
}
