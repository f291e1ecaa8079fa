/**
 * Where change events travel between the relay and the gateways. The relay and
 * every gateway build their Socket.IO Redis adapter from the same `BusConfig`
 * (parsed by the same env fragment, `busEnv`), so they speak the same
 * channels by construction.
 */
export interface BusConfig {
  /** Redis the adapter publishes on and subscribes to (ignored when `clusterNodes` is set). */
  redisUrl: string;
  /**
   * Seed nodes of a Redis Cluster (`host:port`); when set, every Redis client
   * of the bus is an ioredis `Cluster` that discovers the rest of the nodes.
   */
  clusterNodes?: readonly ClusterNode[];
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

export interface ClusterNode {
  host: string;
  port: number;
}

export const busDefaults = {
  redisUrl: 'redis://127.0.0.1:6379',
  adapter: 'classic',
  keyPrefix: 'socket.io',
} as const satisfies BusConfig;

/** Fills the defaults of a partial bus config (the one place they are applied). */
export function resolveBusConfig(config: Partial<BusConfig> = {}): BusConfig {
  return {
    redisUrl: config.redisUrl ?? busDefaults.redisUrl,
    ...(config.clusterNodes?.length ? { clusterNodes: config.clusterNodes } : {}),
    adapter: config.adapter ?? busDefaults.adapter,
    keyPrefix: config.keyPrefix ?? busDefaults.keyPrefix,
  };
}

/**
 * Parses `host:port,host:port,…` (IPv6 hosts in brackets, `[::1]:7000`);
 * throws naming the first bad entry.
 */
export function parseClusterNodes(text: string): ClusterNode[] {
  const nodes = text
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '')
    .map((part) => {
      const match = /^(?:\[([0-9a-fA-F:.]+)\]|([\w.-]+)):(\d{1,5})$/.exec(part);
      const port = Number(match?.[3]);
      if (!match || port < 1 || port > 65_535) {
        throw new Error(`"${part}" is not host:port`);
      }
      return { host: (match[1] ?? match[2]) as string, port };
    });
  if (nodes.length === 0) throw new Error('no node given');
  return nodes;
}

/** A short description for logs and health answers, e.g. `sharded "socket.io" on redis://…`. */
export function describeBus(config: BusConfig): string {
  if (config.clusterNodes?.length) {
    const nodes = config.clusterNodes.map((n) =>
      n.host.includes(':') ? `[${n.host}]:${n.port}` : `${n.host}:${n.port}`,
    );
    return `${config.adapter} "${config.keyPrefix}" on cluster ${nodes.join(',')}`;
  }
  const url = new URL(config.redisUrl);
  url.password = '';
  url.username = '';
  return `${config.adapter} "${config.keyPrefix}" on ${url.origin}`;
}
