import { envFragment, productionSecretProblem } from '@dynapharm/types';
import { z } from 'zod';
import type { TokenVerifierOptions } from './tokens.ts';

/**
 * The token settings shared by API and gateways: `AUTH_JWT_SECRET` (HS256) or
 * `AUTH_JWKS_URL`, the optional expected `AUTH_JWT_ISSUER`/`AUTH_JWT_AUDIENCE`,
 * the clock skew allowed on `exp` (`AUTH_CLOCK_TOLERANCE_SECONDS`),
 * and `AUTH_MODE` (`dev` adds the API's password-less demo login).
 */
export const authEnv = envFragment(
  {
    AUTH_JWT_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
    AUTH_JWKS_URL: z.url({ protocol: /^https?$/ }).optional(),
    AUTH_JWT_ISSUER: z.string().optional(),
    AUTH_JWT_AUDIENCE: z.string().optional(),
    AUTH_MODE: z.enum(['dev', 'jwt']).default('jwt'),
    AUTH_CLOCK_TOLERANCE_SECONDS: z.coerce.number().int().min(0).max(300).default(30),
  },
  (env, issue) => {
    if (!env.AUTH_JWT_SECRET && !env.AUTH_JWKS_URL) {
      issue('AUTH_JWT_SECRET', 'set AUTH_JWT_SECRET (HS256) or AUTH_JWKS_URL');
    }
    if (env.AUTH_MODE === 'dev') {
      if (!env.AUTH_JWT_SECRET) {
        issue('AUTH_JWT_SECRET', 'AUTH_MODE=dev mints tokens and needs AUTH_JWT_SECRET');
      }
      // The dev login mints tokens without `iss`/`aud`, which the verifier would refuse.
      for (const name of ['AUTH_JWT_ISSUER', 'AUTH_JWT_AUDIENCE'] as const) {
        if (env[name]) issue(name, 'cannot be combined with AUTH_MODE=dev');
      }
    }
    if (env.NODE_ENV !== 'production') return;
    if (env.AUTH_MODE === 'dev') {
      issue(
        'AUTH_MODE',
        'dev (password-less login as any user) is refused with NODE_ENV=production; use jwt',
      );
    }
    // A JWKS deployment verifies with public keys and needs no shared secret;
    // with neither set, the message above already names AUTH_JWT_SECRET.
    if (env.AUTH_JWT_SECRET !== undefined) {
      const problem = productionSecretProblem(env.AUTH_JWT_SECRET);
      if (problem) issue('AUTH_JWT_SECRET', problem);
    }
  },
);

export type AuthEnv = z.output<z.ZodObject<typeof authEnv.shape>>;

/** The verifier options of a parsed environment (the same for API and gateways). */
export function tokenVerifierOptionsFromEnv(
  env: Pick<
    AuthEnv,
    'AUTH_JWT_SECRET' | 'AUTH_JWKS_URL' | 'AUTH_JWT_ISSUER' | 'AUTH_JWT_AUDIENCE'
  > &
    Partial<Pick<AuthEnv, 'AUTH_CLOCK_TOLERANCE_SECONDS'>>,
): TokenVerifierOptions {
  return {
    secret: env.AUTH_JWT_SECRET,
    jwksUrl: env.AUTH_JWKS_URL,
    issuer: env.AUTH_JWT_ISSUER,
    audience: env.AUTH_JWT_AUDIENCE,
    clockToleranceSeconds: env.AUTH_CLOCK_TOLERANCE_SECONDS,
  };
}
