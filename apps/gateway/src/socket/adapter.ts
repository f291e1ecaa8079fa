import { type BusConfig, type BusRedis, createBusAdapter } from '@dynapharm/outbox';
import type { Namespace } from 'socket.io';

type AdapterApply = (broadcast: unknown, callback: (socket: unknown) => void) => void;
type AdapterEncode = (packet: unknown, options: unknown) => unknown;

/** Running totals of what the adapter wrote to local sockets. */
export interface DeliveryCounts {
  /** Broadcasts handled (one per event, from Redis or local). */
  events: number;
  /** Copies written to local sockets. */
  deliveries: number;
}

/**
 * Epoch ms at which a relayed change was logged, from a broadcast packet
 * (`{ data: [event, change] }`); undefined for anything else (published
 * changes carry no offset, server notices are no changes).
 */
export function loggedAtOf(packet: unknown): number | undefined {
  const data = (packet as { data?: unknown } | null)?.data;
  if (!Array.isArray(data)) return undefined;
  const change = data[1] as { offset?: unknown; at?: unknown } | null | undefined;
  if (typeof change?.offset !== 'number' || typeof change.at !== 'string') return undefined;
  const at = Date.parse(change.at);
  return Number.isNaN(at) ? undefined : at;
}

/** Whether a broadcast packet is a `presence` event (not counted as a change event). */
export function isPresencePacket(packet: unknown): boolean {
  const data = (packet as { data?: unknown } | null)?.data;
  return Array.isArray(data) && data[0] === 'presence';
}

/**
 * The bus's Socket.IO adapter (the relay publishes through the same one),
 * counting events and deliveries (presence joins and leaves are not counted:
 * they are not changes). `onDelivered` gets, for each relayed change
 * written to at least one local socket, the seconds since it was logged.
 * While `dropRelayed()` holds, relayed changes (those with an offset) are not
 * written to local sockets: the gateway's subscription has a hole, and the
 * clients must not apply a change past it before they have caught up.
 */
export function createCountingAdapter(
  pub: BusRedis,
  sub: BusRedis,
  bus: BusConfig,
  onDelivered: (secondsSinceLogged: number) => void = () => {},
  dropRelayed: () => boolean = () => false,
) {
  const counts: DeliveryCounts = { events: 0, deliveries: 0 };
  const factory = createBusAdapter(bus, pub, sub);

  // Every broadcast, from Redis or local, ends in the adapter's
  // `apply(opts, callback)` (private in the typings, stable across
  // socket.io-adapter 2.x): one counter bump per copy is the cheapest place to
  // measure deliveries. A function declaration, not an arrow: Socket.IO calls
  // the factory with `new`.
  function countingAdapter(nsp: Namespace) {
    const adapter = factory(nsp);
    // Only the clients' namespace: the Admin UI's `/admin` stats are not deliveries.
    if (nsp.name !== '/') return adapter;
    const apply = Reflect.get(adapter, 'apply') as AdapterApply;
    // `broadcast(packet, opts)` encodes the packet, then applies it to the
    // matching sockets, synchronously; the Redis adapter reaches the in-memory
    // `broadcast` through `super`, so `_encode` (called on the instance) is
    // where the packet of the coming `apply` can be seen.
    const encode = Reflect.get(adapter, '_encode') as AdapterEncode | undefined;
    let loggedAt: number | undefined;
    let presence = false;
    if (typeof encode === 'function') {
      Reflect.set(adapter, '_encode', (packet: unknown, options: unknown) => {
        loggedAt = loggedAtOf(packet);
        presence = isPresencePacket(packet);
        return encode.call(adapter, packet, options);
      });
    }
    const counted: AdapterApply = (broadcast, callback) => {
      const at = loggedAt;
      loggedAt = undefined;
      if (presence) {
        presence = false;
        return apply.call(adapter, broadcast, callback);
      }
      // The catch-up the gateway asks for once its subscription is whole again
      // fetches it from the log (a relayed change is numbered before it is sent).
      if (at !== undefined && dropRelayed()) return;
      counts.events++;
      let copies = 0;
      apply.call(adapter, broadcast, (socket) => {
        copies++;
        callback(socket);
      });
      counts.deliveries += copies;
      if (at !== undefined && copies > 0) onDelivered(Math.max(0, Date.now() - at) / 1000);
    };
    Reflect.set(adapter, 'apply', counted);
    return adapter;
  }

  return { adapter: countingAdapter, counts };
}
