import { type BusConfig, createBusAdapter } from '@dynapharm/outbox';
import type { Redis } from 'ioredis';
import type { Namespace } from 'socket.io';

type AdapterApply = (broadcast: unknown, callback: (socket: unknown) => void) => void;

/** Running totals of what the adapter wrote to local sockets. */
export interface DeliveryCounts {
  /** Broadcasts handled (one per event, from Redis or local). */
  events: number;
  /** Copies written to local sockets. */
  deliveries: number;
}

/**
 * The bus's Socket.IO adapter (the relay publishes through the same one),
 * counting events and deliveries.
 */
export function createCountingAdapter(pub: Redis, sub: Redis, bus: BusConfig) {
  const counts: DeliveryCounts = { events: 0, deliveries: 0 };
  const factory = createBusAdapter(bus, pub, sub);

  // Every broadcast, from Redis or local, ends in the adapter's
  // `apply(opts, callback)` (private in the typings, stable across
  // socket.io-adapter 2.x): one counter bump per copy is the cheapest place to
  // measure deliveries. A function declaration, not an arrow: Socket.IO calls
  // the factory with `new`.
  function countingAdapter(nsp: Namespace) {
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
