import { authEnv } from '@dynapharm/auth';
import { databaseEnv, demoSeedEnv } from '@dynapharm/db/env';
import { busEnv, relayEnv } from '@dynapharm/outbox';
import { defineEnv, envFragment } from '@dynapharm/types';
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

const flagWords = new Set(['true', 'false', 'yes', 'no']);

/**
 * Which proxies may set `X-Forwarded-For`, as Express reads it: `false`, a hop
 * count, or addresses/subnets (`loopback`, `10.0.0.0/8`, ...). `true` means the
 * one front door (1 hop): trusting every hop would let a client pick its own
 * address, and with it its rate-limit key.
 */
const trustProxy = z
  .string()
  .transform((v) => v.trim().toLowerCase())
  .pipe(
    z.union([
      z.string().refine((v) => flagWords.has(v)),
      z.string().regex(/^\d{1,2}$/),
      z
        .string()
        .transform((v) => v.split(',').map((s) => s.trim()))
        .pipe(
          z.array(
            z
              .string()
              .regex(/^(loopback|linklocal|uniquelocal|[0-9a-f]*[.:][0-9a-f.:]*(\/\d{1,3})?)$/, {
                error: 'expected false, a hop count, or proxy addresses/subnets',
              }),
          ),
        ),
    ]),
  )
  .transform((v): false | number | string[] => {
    if (Array.isArray(v)) return v;
    if (v === 'false' || v === 'no') return false;
    if (v === 'true' || v === 'yes') return 1;
    return Number(v) || false;
  });

const apiOwn = envFragment({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().default('0.0.0.0'),
  ALLOWED_ORIGINS: list.default(['http://localhost:8080']),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  WRITE_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(600),
  READ_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(6000),
  AUTH_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(60),
  IDEMPOTENCY_KEY_TTL_HOURS: z.coerce.number().min(0.01).default(24),
  TRUST_PROXY: trustProxy.default(false),
  /** Prometheus whose alerts `GET /api/ops/status` shows; unset: "not configured". */
  PROMETHEUS_URL: z.url({ protocol: /^https?$/ }).optional(),
  /** A Prometheus answer slower than this is reported as unavailable. */
  PROMETHEUS_TIMEOUT_MS: z.coerce.number().int().min(100).max(30_000).default(2000),
  /** Bearer token `/metrics` requires when set (compose sets the gateways' one). */
  METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
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
