import { envFragment } from '@dynapharm/types';
import { z } from 'zod';
import { type BusConfig, busDefaults } from './config.ts';

const keyPrefix = z
  .string()
  .regex(/^[\w.:-]{1,100}$/, 'letters, digits, ".", ":", "_" or "-" (max 100)');

/**
 * The environment of the bus, shared by the API (relay) and the gateways:
 * `REDIS_URL`, `REDIS_ADAPTER` (`classic` | `sharded`), `REDIS_KEY_PREFIX`.
 */
export const busEnvSchema = z.object({
  REDIS_URL: z.url({ protocol: /^rediss?$/ }).default(busDefaults.redisUrl),
  REDIS_ADAPTER: z.enum(['classic', 'sharded']).default(busDefaults.adapter),
  REDIS_KEY_PREFIX: keyPrefix.default(busDefaults.keyPrefix),
});

/** {@link busEnvSchema} as the fragment the apps compose (`defineEnv`). */
export const busEnv = envFragment(busEnvSchema.shape);

export type BusEnv = z.infer<typeof busEnvSchema>;

/** The bus config of a parsed environment. */
export function busConfigFromEnv(env: BusEnv): BusConfig {
  return { redisUrl: env.REDIS_URL, adapter: env.REDIS_ADAPTER, keyPrefix: env.REDIS_KEY_PREFIX };
}
