/**
 * Where change events travel between the relay and the gateways. The relay and
 * every gateway build their Socket.IO Redis adapter from the same `BusConfig`
 * (parsed by the same env fragment, `busEnv`), so they speak the same
 * channels by construction.
 */
export interface BusConfig {
  /** Redis the adapter publishes on and subscribes to. */
  redisUrl: string;
  /**
   * `classic`: Redis Pub/Sub. `sharded`: sharded Pub/Sub (`SPUBLISH`, Redis ≥ 7),
   * which Redis Cluster routes to one shard instead of every node.
   * @default 'classic'
   */
  adapter: BusAdapterKind;
  /** Prefix of the adapter's channels and of the project's Redis keys. @default 'socket.io' */
  keyPrefix: string;
}

export type BusAdapterKind = 'classic' | 'sharded';

export const busDefaults = {
  redisUrl: 'redis://127.0.0.1:6379',
  adapter: 'classic',
  keyPrefix: 'socket.io',
} as const satisfies BusConfig;

/** Fills the defaults of a partial bus config (the one place they are applied). */
export function resolveBusConfig(config: Partial<BusConfig> = {}): BusConfig {
  return {
    redisUrl: config.redisUrl ?? busDefaults.redisUrl,
    adapter: config.adapter ?? busDefaults.adapter,
    keyPrefix: config.keyPrefix ?? busDefaults.keyPrefix,
  };
}

/** A short description for logs and health answers, e.g. `sharded "socket.io" on redis://…`. */
export function describeBus(config: BusConfig): string {
  const url = new URL(config.redisUrl);
  url.password = '';
  url.username = '';
  return `${config.adapter} "${config.keyPrefix}" on ${url.origin}`;
}
