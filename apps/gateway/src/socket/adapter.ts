import { createAdapter, createShardedAdapter } from '@socket.io/redis-adapter';
import type { Redis } from 'ioredis';

type AdapterApply = (broadcast: unknown, callback: (socket: unknown) => void) => void;

/** Running totals of what the adapter wrote to local sockets. */
export interface DeliveryCounts {
  /** Broadcasts handled (one per event, from Redis or local). */
  events: number;
  /** Copies written to local sockets. */
  deliveries: number;
}

/**
 * The Redis adapter factory for Socket.IO, counting events and deliveries.
 * `classic` speaks Redis Pub/Sub (what `@socket.io/redis-emitter` publishes to);
 * `sharded` uses sharded Pub/Sub (Redis ≥ 7, Redis Cluster).
 */
export function createCountingAdapter(
  pub: Redis,
  sub: Redis,
  options: { kind: 'classic' | 'sharded'; prefix: string },
) {
  const counts: DeliveryCounts = { events: 0, deliveries: 0 };
  const factory =
    options.kind === 'sharded'
      ? // "static": two channels per namespace, so a join never waits on a new SSUBSCRIBE.
        createShardedAdapter(pub, sub, {
          channelPrefix: options.prefix,
          subscriptionMode: 'static',
        })
      : createAdapter(pub, sub, { key: options.prefix });

  // Every broadcast, from Redis or local, ends in the adapter's
  // `apply(opts, callback)` (private in the typings, stable across
  // socket.io-adapter 2.x): one counter bump per copy is the cheapest place to
  // measure deliveries. A function declaration, not an arrow: Socket.IO calls
  // the factory with `new`.
  function countingAdapter(nsp: unknown) {
    const adapter = factory(nsp);
    const apply = Reflect.get(adapter, 'apply') as AdapterApply;
    const counted: AdapterApply = (broadcast, callback) => {
      counts.events++;
      apply.call(adapter, broadcast, (socket) => {
        counts.deliveries++;
        callback(socket);
      });
    };
    Reflect.set(adapter, 'apply', counted);
    return adapter;
  }

  return { adapter: countingAdapter, counts };
}
