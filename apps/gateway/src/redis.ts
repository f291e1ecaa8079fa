import { Redis } from 'ioredis';
import type { Logger } from 'pino';

/**
 * Connects to Redis for the adapter and the replica registry. The client never
 * gives up: commands wait for the connection to come back instead of failing,
 * and connection errors are logged (once per outage) instead of thrown.
 */
export function createRedisClient(url: string, role: string, logger: Logger): Redis {
  const log = logger.child({ redis: role });
  const client = new Redis(url, {
    maxRetriesPerRequest: null,
    retryStrategy: (attempt) => Math.min(attempt * 100, 2_000),
    connectionName: `gateway-${role}`,
  });
  guardRejections(client, log);
  watch(client, log);
  return client;
}

/** A second connection with the same settings (a subscriber cannot publish). */
export function duplicateRedisClient(client: Redis, role: string, logger: Logger): Redis {
  const log = logger.child({ redis: role });
  const copy = client.duplicate({ connectionName: `gateway-${role}` });
  guardRejections(copy, log);
  watch(copy, log);
  return copy;
}

function watch(client: Redis, log: Logger) {
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
function guardRejections(client: Redis, log: Logger) {
  const send = client.sendCommand.bind(client);
  client.sendCommand = ((...args: Parameters<Redis['sendCommand']>) => {
    const result: unknown = send(...args);
    if (result instanceof Promise) {
      result.catch((err: unknown) =>
        log.debug(
          { err: err instanceof Error ? err.message : String(err) },
          'redis command failed',
        ),
      );
    }
    return result;
  }) as Redis['sendCommand'];
}

/** Whether a client can currently talk to Redis. */
export function isReady(client: Redis): boolean {
  return client.status === 'ready';
}
