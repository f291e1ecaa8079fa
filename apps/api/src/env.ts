import { authEnv } from '@dynapharm/auth';
import { databaseEnv, demoSeedEnv } from '@dynapharm/db/env';
import { busEnv, relayEnv } from '@dynapharm/outbox';
import { defineEnv, envFlag, envFragment } from '@dynapharm/types';
import { z } from 'zod';

export { EnvError } from '@dynapharm/types';

const list = z
  .string()
  .transform((v) =>
    v
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  )
  .pipe(z.array(z.url()));

const apiOwn = envFragment({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().default('0.0.0.0'),
  ALLOWED_ORIGINS: list.default(['http://localhost:8080']),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  WRITE_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(600),
  READ_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(6000),
  AUTH_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(60),
  IDEMPOTENCY_KEY_TTL_HOURS: z.coerce.number().min(0.01).default(24),
  TRUST_PROXY: envFlag.default(false),
});

/** The API's environment: its own variables and the fragments of the packages it runs. */
export const apiEnv = defineEnv('@dynapharm/api', [
  databaseEnv,
  demoSeedEnv,
  authEnv,
  busEnv,
  relayEnv,
  apiOwn,
]);

export type Env = ReturnType<typeof apiEnv.parse>;

/**
 * Parses the environment once at boot (the only place of the API that reads
 * `process.env`); throws an `EnvError` naming every bad variable.
 */
export function loadEnv(source: NodeJS.ProcessEnv = process.env): Env {
  return apiEnv.parse(source);
}
