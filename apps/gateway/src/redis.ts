import { type BusConfig, type BusRedis, createBusRedis } from '@dynapharm/outbox';
import type { Logger } from 'pino';

/**
 * Connects to the bus's Redis (one server or a Redis Cluster) for the adapter
 * and the registries. The client never gives up: commands wait for the
 * connection to come back instead of failing, and connection errors are
 * logged (once per outage) instead of thrown. The subscriber gets its own
 * client (`subscriber: true`): a subscribed connection cannot publish.
 */
export function createRedisClient(
  bus: BusConfig,
  role: string,
  logger: Logger,
  { subscriber = false }: { subscriber?: boolean } = {},
): BusRedis {
  const log = logger.child({ redis: role });
  const client = createBusRedis(bus, {
    maxRetriesPerRequest: null,
    retryStrategy: (attempt) => Math.min(attempt * 100, 2_000),
    connectionName: `gateway-${role}`,
    subscriber,
  });
  guardRejections(client, log);
  watch(client, log);
  return client;
}

function watch(client: BusRedis, log: Logger) {
  let failing = false;
  client.on('error', (err: Error) => {
    // ioredis emits an error per failed reconnect attempt: log the first of a streak.
    if (failing) return log.debug({ err: err.message }, 'redis still unavailable');
    failing = true;
    log.warn({ err: err.message }, 'redis connection error');
  });
  client.on('reconnecting', (delay: number) => log.debug({ delay }, 'redis reconnecting'));
  client.on('ready', () => {
    if (failing) log.info('redis connection restored');
    failing = false;
  });
}

/**
 * The Socket.IO adapters fire commands without awaiting them; a rejected one
 * (e.g. "Connection is closed" at shutdown) would be an unhandled rejection and
 * take the process down. Attaching a handler to every command promise keeps the
 * rejection visible to callers that do await it.
 */
function guardRejections(client: BusRedis, log: Logger) {
  // `Redis` and `Cluster` both take the command first; the rest is passed on as is.
  const send = client.sendCommand.bind(client) as (...args: unknown[]) => unknown;
  Reflect.set(client, 'sendCommand', (...args: unknown[]) => {
    const result = send(...args);
    if (result instanceof Promise) {
      result.catch((err: unknown) =>
        log.debug(
          { err: err instanceof Error ? err.message : String(err) },
          'redis command failed',
        ),
      );
    }
    return result;
  });
}

/** Whether a client can currently talk to Redis. */
export function isReady(client: BusRedis): boolean {
  return client.status === 'ready';
}

/**
 * Resolves once every subscribed connection has answered a PING sent after
 * the subscriptions it re-sends (so they are in force). On a cluster, those
 * are the per-shard subscribers of `SSUBSCRIBE` (ioredis keeps them inside
 * the `Cluster`, which has no public accessor) and the classic subscriber.
 */
export async function pingSubscriptions(client: BusRedis): Promise<void> {
  if (!('isCluster' in client) || !client.isCluster) {
    await client.ping();
    return;
  }
  const group = Reflect.get(client, 'shardedSubscribers') as
    | { shardedSubscribers?: Map<string, { getInstance(): { ping(): Promise<unknown> } | null }> }
    | undefined;
  const shards = [...(group?.shardedSubscribers?.values() ?? [])];
  await Promise.all(shards.map((s) => s.getInstance()?.ping()));
}
