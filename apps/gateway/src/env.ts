import { hostname } from 'node:os';
import { busEnvSchema } from '@dynapharm/outbox';
import { z } from 'zod';

/** `"false"`, `"0"` and `"no"` are false; `Boolean("false")` would be true. */
const flag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

/** Comma list of origins; `*` alone allows any origin. */
const origins = z
  .string()
  .transform((v) =>
    v
      .split(',')
      .map((s) => s.trim().replace(/\/+$/, ''))
      .filter(Boolean),
  )
  .pipe(z.array(z.union([z.literal('*'), z.url({ protocol: /^https?$/ })])));

export const envSchema = z
  .object({
    PORT: int(0, 65535).default(8081),
    HOST: z.string().min(1).default('0.0.0.0'),
    /** How other components reach this replica; shown in `/stats`. */
    PUBLIC_URL: z.url().optional(),
    REPLICA_ID: z
      .string()
      .regex(/^[\w.:-]{1,100}$/, 'letters, digits, ".", ":", "_" or "-" (max 100)')
      .default(`${hostname()}-${process.pid}`),
    AUTH_JWT_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
    AUTH_JWKS_URL: z.url({ protocol: /^https?$/ }).optional(),
    AUTH_JWT_ISSUER: z.string().optional(),
    AUTH_JWT_AUDIENCE: z.string().optional(),
    ALLOWED_ORIGINS: origins.default(['http://localhost:8080', 'http://127.0.0.1:8080']),
    PUBLISH_TOKEN: z.string().min(16, 'must be at least 16 characters'),
    METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
    DRAIN_TIMEOUT_MS: int(0, 600_000).default(10_000),
    DRAIN_SPREAD_MS: int(0, 600_000).default(5_000),
    LOG_LEVEL: z
      .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
      .default('info'),
    MAX_MESSAGE_BYTES: int(1024, 10_000_000).default(64 * 1024),
    MAX_PUBLISH_BYTES: int(1024, 10_000_000).default(256 * 1024),
    SOCKET_RATE_PER_SEC: int(1, 10_000).default(20),
    SOCKET_RATE_BURST: int(1, 100_000).default(40),
    MAX_ROOMS_PER_SOCKET: int(1, 100_000).default(500),
    COLLECT_DEFAULT_METRICS: flag.default(true),
  })
  .extend(busEnvSchema.shape)
  .superRefine((env, ctx) => {
    if (!env.AUTH_JWT_SECRET && !env.AUTH_JWKS_URL) {
      ctx.addIssue({
        code: 'custom',
        path: ['AUTH_JWT_SECRET'],
        message: 'set AUTH_JWT_SECRET (HS256) or AUTH_JWKS_URL',
      });
    }
    if (env.DRAIN_SPREAD_MS > env.DRAIN_TIMEOUT_MS) {
      ctx.addIssue({
        code: 'custom',
        path: ['DRAIN_SPREAD_MS'],
        message: `must not exceed DRAIN_TIMEOUT_MS (${env.DRAIN_TIMEOUT_MS})`,
      });
    }
    if (env.SOCKET_RATE_BURST < env.SOCKET_RATE_PER_SEC) {
      ctx.addIssue({
        code: 'custom',
        path: ['SOCKET_RATE_BURST'],
        message: `must be at least SOCKET_RATE_PER_SEC (${env.SOCKET_RATE_PER_SEC})`,
      });
    }
  });

export type Env = z.infer<typeof envSchema>;

/** The environment was invalid; the message names every variable at fault. */
export class EnvError extends Error {
  override readonly name = 'EnvError';
}

/**
 * Parses the environment once at boot; empty variables count as unset. This is the only place of the gateway
 * that reads `process.env`; everything else takes options.
 */
export function loadEnv(source: NodeJS.ProcessEnv = process.env): Env {
  // `FOO=` (as compose files often write) means "not set", not "set to nothing".
  const present = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== ''));
  const parsed = envSchema.safeParse(present);
  if (parsed.success) return parsed.data;
  const lines = parsed.error.issues.map((i) => `  ${i.path.join('.') || '(env)'}: ${i.message}`);
  throw new EnvError(`invalid environment for @dynapharm/gateway:\n${lines.join('\n')}`);
}
