import type { InterServerEvents, LiveChange, RelayBeat } from '@dynapharm/types';
import { Server } from 'socket.io';
import { broadcastChange } from '../broadcast.ts';
import { type BusRedis, createBusAdapter, createBusConnections } from './adapter.ts';
import type { BusConfig } from './config.ts';

/** Publishes on a bus with the adapter's own code. */
export interface BusPublisher {
  /**
   * Broadcasts the changes to their rooms on every gateway and resolves once
   * Redis has accepted every message; rejects (and may have sent some) when
   * Redis is down or slower than `timeoutMs`.
   */
  publish(changes: readonly LiveChange[], timeoutMs?: number): Promise<void>;
  /** Tells the gateways the relay is alive and where the stream stands (fire and forget). */
  beat(beat: RelayBeat): void;
  close(): Promise<void>;
}

/**
 * A Socket.IO server with no HTTP listener, built on the same adapter as the
 * gateways: broadcasting through it writes exactly the messages a gateway
 * would write, for either adapter kind, whatever the adapter's wire format.
 * Its subscriber also receives the bus traffic, which it drops (the adapter
 * ignores its own messages, and it has no sockets).
 */
export function createBusPublisher(config: BusConfig): BusPublisher {
  const { pub, sub } = createBusConnections(config);
  let recording: Promise<unknown>[] | undefined;
  const io = new Server<Record<string, never>, Record<string, never>, InterServerEvents>({
    adapter: createBusAdapter(
      config,
      recordPublishes(pub, (p) => recording?.push(p)),
      sub,
    ),
    serveClient: false,
  });

  return {
    async publish(changes, timeoutMs = 5000) {
      await connected(pub, timeoutMs);
      const sent: Promise<unknown>[] = [];
      recording = sent;
      try {
        for (const change of changes) broadcastChange(io, change);
      } finally {
        recording = undefined;
      }
      // Each broadcast is one PUBLISH/SPUBLISH, issued synchronously. Should
      // an adapter version ever defer it, fail loudly rather than confirm
      // messages that were not sent yet.
      if (sent.length < changes.length) {
        throw new Error(
          `the adapter issued ${sent.length} publishes for ${changes.length} changes`,
        );
      }
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('Redis did not confirm the batch')), timeoutMs);
      });
      try {
        await Promise.race([Promise.all(sent), timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
    beat(beat) {
      io.serverSideEmit('relay:beat', beat);
    },
    async close() {
      // No engine to close (the server never listened): ending the two
      // connections ends the adapter's subscriptions with them.
      pub.disconnect();
      sub.disconnect();
    },
  };
}

/** Waits (up to `ms`) for a connection that is still coming up; a lost one fails at once. */
async function connected(redis: BusRedis, ms: number) {
  if (redis.status === 'ready') return;
  if (redis.status === 'end' || redis.status === 'close') {
    throw new Error(`Redis connection is ${redis.status}`);
  }
  let timer: NodeJS.Timeout | undefined;
  let onReady: (() => void) | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      onReady = resolve;
      redis.once('ready', onReady);
      timer = setTimeout(() => reject(new Error('Redis is not reachable')), ms);
    });
  } finally {
    clearTimeout(timer);
    if (onReady) redis.off('ready', onReady);
  }
}

/**
 * The publisher connection as the adapter sees it, except that every publish's
 * promise is handed to `record`: the adapter itself drops them, and the relay
 * must know that Redis accepted a batch before marking it published.
 */
function recordPublishes<R extends BusRedis>(pub: R, record: (p: Promise<unknown>) => void): R {
  return new Proxy(pub, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function') return value;
      if (prop === 'publish' || prop === 'spublish') {
        return (...args: unknown[]) => {
          const result = (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
          // Failures surface through the recorded promise; the adapter never awaits it.
          result.catch(() => {});
          record(result);
          return result;
        };
      }
      return value.bind(target);
    },
  });
}
