import { envFlag, envFragment, productionSecretProblem } from '@dynapharm/types';
import { z } from 'zod';

/** The relay's environment (read by the API, which runs the relay). */
export const relayEnvSchema = z.object({
  RELAY_ENABLED: envFlag.default(true),
  RELAY_POLL_MS: z.coerce.number().int().min(50).default(1000),
  RELAY_BATCH_SIZE: z.coerce.number().int().min(1).max(10_000).default(500),
  SYNC_LOG_RETENTION_DAYS: z.coerce.number().min(0.0001).default(30),
  /**
   * The relay's own session (advisory lock, `LISTEN`): a direct connection to
   * PostgreSQL, never a transaction pooler. Unset: `DATABASE_URL`, which is
   * right only while that one is direct too.
   */
  RELAY_DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }).optional(),
});

/** {@link relayEnvSchema} as the fragment the API composes (`defineEnv`). */
export const relayEnv = envFragment(relayEnvSchema.shape, (env, issue) => {
  if (env.NODE_ENV !== 'production' || !env.RELAY_DATABASE_URL) return;
  const password = decodeURIComponent(new URL(env.RELAY_DATABASE_URL).password);
  const problem = password ? productionSecretProblem(password, 1) : undefined;
  if (problem) issue('RELAY_DATABASE_URL', `its password ${problem}`);
});

export type RelayEnv = z.infer<typeof relayEnvSchema>;
