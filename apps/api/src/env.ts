import { busEnvSchema, relayEnvSchema } from '@dynapharm/outbox';
import { z } from 'zod';

const flag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const list = z
  .string()
  .transform((v) =>
    v
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  )
  .pipe(z.array(z.url()));

export const envSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
    PORT: z.coerce.number().int().min(0).max(65535).default(3000),
    HOST: z.string().default('0.0.0.0'),
    DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }),
    DATABASE_POOL_MAX: z.coerce.number().int().min(1).max(200).default(20),
    AUTH_JWT_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
    AUTH_JWKS_URL: z.url().optional(),
    AUTH_MODE: z.enum(['dev', 'jwt']).default('jwt'),
    ALLOWED_ORIGINS: list.default(['http://localhost:8080']),
    LOG_LEVEL: z
      .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
      .default('info'),
    WRITE_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(600),
    TRUST_PROXY: flag.default(false),
  })
  .extend(busEnvSchema.shape)
  .extend(relayEnvSchema.shape)
  .superRefine((env, ctx) => {
    if (!env.AUTH_JWT_SECRET && !env.AUTH_JWKS_URL) {
      ctx.addIssue({
        code: 'custom',
        path: ['AUTH_JWT_SECRET'],
        message: 'set AUTH_JWT_SECRET (HS256) or AUTH_JWKS_URL',
      });
    }
    if (env.AUTH_MODE === 'dev' && !env.AUTH_JWT_SECRET) {
      ctx.addIssue({
        code: 'custom',
        path: ['AUTH_JWT_SECRET'],
        message: 'AUTH_MODE=dev mints tokens and needs AUTH_JWT_SECRET',
      });
    }
  });

export type Env = z.infer<typeof envSchema>;

/** Parses the environment once at boot; exits naming every bad variable. */
export function loadEnv(source: NodeJS.ProcessEnv = process.env): Env {
  const parsed = envSchema.safeParse(source);
  if (parsed.success) return parsed.data;
  const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
  console.error(`Invalid environment for @dynapharm/api:\n${lines.join('\n')}`);
  process.exit(1);
}
