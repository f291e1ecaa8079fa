import { envFlag, envFragment } from '@dynapharm/types';
import { z } from 'zod';

/** The relay's environment (read by the API, which runs the relay). */
export const relayEnvSchema = z.object({
  RELAY_ENABLED: envFlag.default(true),
  RELAY_POLL_MS: z.coerce.number().int().min(50).default(1000),
  RELAY_BATCH_SIZE: z.coerce.number().int().min(1).max(10_000).default(500),
  SYNC_LOG_RETENTION_DAYS: z.coerce.number().min(0.0001).default(30),
});

/** {@link relayEnvSchema} as the fragment the API composes (`defineEnv`). */
export const relayEnv = envFragment(relayEnvSchema.shape);

export type RelayEnv = z.infer<typeof relayEnvSchema>;
