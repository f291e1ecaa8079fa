import { envFragment } from '@dynapharm/types';
import { z } from 'zod';
import { type BusConfig, busDefaults, type ClusterNode, parseClusterNodes } from './config.ts';

const keyPrefix = z
  .string()
  .regex(/^[\w.:-]{1,100}$/, 'letters, digits, ".", ":", "_" or "-" (max 100)');

const clusterNodes = z.string().transform((text, ctx): ClusterNode[] => {
  try {
    return parseClusterNodes(text);
  } catch (err) {
    ctx.addIssue({
      code: 'custom',
      message: `host:port,host:port,… expected: ${(err as Error).message}`,
    });
    return z.NEVER;
  }
});

/**
 * The environment of the bus, shared by the API (relay) and the gateways:
 * `REDIS_URL` (one Redis, the default) or `REDIS_CLUSTER_NODES` (seed nodes
 * of a Redis Cluster, `host:port,…`), `REDIS_ADAPTER` (`classic` |
 * `sharded`), `REDIS_KEY_PREFIX`.
 */
export const busEnvSchema = z.object({
  /** Unset means {@link busDefaults.redisUrl} (unless `REDIS_CLUSTER_NODES` is set). */
  REDIS_URL: z.url({ protocol: /^rediss?$/ }).optional(),
  REDIS_CLUSTER_NODES: clusterNodes.optional(),
  REDIS_ADAPTER: z.enum(['classic', 'sharded']).default(busDefaults.adapter),
  REDIS_KEY_PREFIX: keyPrefix.default(busDefaults.keyPrefix),
});

/** {@link busEnvSchema} as the fragment the apps compose (`defineEnv`). */
export const busEnv = envFragment(busEnvSchema.shape, (env, issue) => {
  if (env.REDIS_URL !== undefined && env.REDIS_CLUSTER_NODES !== undefined) {
    const message = 'REDIS_URL and REDIS_CLUSTER_NODES are mutually exclusive: set only one';
    issue('REDIS_URL', message);
    issue('REDIS_CLUSTER_NODES', message);
  }
});

export type BusEnv = z.infer<typeof busEnvSchema>;

/** The bus config of a parsed environment. */
export function busConfigFromEnv(env: BusEnv): BusConfig {
  return {
    redisUrl: env.REDIS_URL ?? busDefaults.redisUrl,
    ...(env.REDIS_CLUSTER_NODES ? { clusterNodes: env.REDIS_CLUSTER_NODES } : {}),
    adapter: env.REDIS_ADAPTER,
    keyPrefix: env.REDIS_KEY_PREFIX,
  };
}
