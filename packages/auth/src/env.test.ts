import { defineEnv, EnvError } from '@dynapharm/types';
import { describe, expect, it } from 'vitest';
import { authEnv, tokenVerifierOptionsFromEnv } from './env.ts';

const env = defineEnv('auth-test', [authEnv]);
const SECRET = 'Hq3x9Zp2LmN8vB4cR7tY1wK6sD0fG5jA';

function refusal(source: Record<string, string>): string {
  try {
    env.parse(source);
  } catch (err) {
    if (err instanceof EnvError) return err.message;
    throw err;
  }
  throw new Error('the environment was accepted');
}

describe('authEnv', () => {
  it('defaults to jwt mode and hands the verifier every setting', () => {
    const parsed = env.parse({
      AUTH_JWT_SECRET: SECRET,
      AUTH_JWT_ISSUER: 'https://id.example',
      AUTH_JWT_AUDIENCE: 'dynapharm',
    });
    expect(parsed.AUTH_MODE).toBe('jwt');
    expect(tokenVerifierOptionsFromEnv(parsed)).toEqual({
      secret: SECRET,
      jwksUrl: undefined,
      issuer: 'https://id.example',
      audience: 'dynapharm',
      clockToleranceSeconds: 30,
    });
  });

  it('needs a secret or a JWKS URL, and a secret for dev mode', () => {
    expect(refusal({})).toMatch(/AUTH_JWT_SECRET: set AUTH_JWT_SECRET \(HS256\) or AUTH_JWKS_URL/);
    expect(refusal({ AUTH_MODE: 'dev', AUTH_JWKS_URL: 'https://id.example/jwks' })).toMatch(
      /AUTH_JWT_SECRET: AUTH_MODE=dev mints tokens/,
    );
    expect(refusal({ AUTH_JWT_SECRET: 'too-short' })).toMatch(/at least 32 characters/);
  });

  it('refuses an issuer or audience in dev mode, whose tokens carry neither', () => {
    const message = refusal({
      AUTH_MODE: 'dev',
      AUTH_JWT_SECRET: SECRET,
      AUTH_JWT_ISSUER: 'x',
      AUTH_JWT_AUDIENCE: 'y',
    });
    expect(message).toMatch(/AUTH_JWT_ISSUER: cannot be combined with AUTH_MODE=dev/);
    expect(message).toMatch(/AUTH_JWT_AUDIENCE: cannot be combined with AUTH_MODE=dev/);
  });

  describe('with NODE_ENV=production', () => {
    const prod = { NODE_ENV: 'production' };

    it('accepts jwt mode with a random secret, or JWKS alone', () => {
      expect(env.parse({ ...prod, AUTH_JWT_SECRET: SECRET }).AUTH_MODE).toBe('jwt');
      expect(env.parse({ ...prod, AUTH_JWKS_URL: 'https://id.example/jwks' })).toMatchObject({
        AUTH_JWT_SECRET: undefined,
      });
    });

    it('refuses dev mode', () => {
      expect(refusal({ ...prod, AUTH_MODE: 'dev', AUTH_JWT_SECRET: SECRET })).toMatch(
        /AUTH_MODE: dev .* is refused with NODE_ENV=production/,
      );
      // The same settings outside production are the local cluster's.
      expect(env.parse({ AUTH_MODE: 'dev', AUTH_JWT_SECRET: SECRET }).AUTH_MODE).toBe('dev');
    });

    it.each([
      ['a published example', 'dev-only-jwt-secret-change-me-0123456789abcdef', /published/],
      ['a placeholder', 'CHANGE-ME-run-pnpm-secrets-to-generate-this', /placeholder/],
      ['a low-entropy value', 'x'.repeat(40), /too few distinct characters/],
    ])('refuses %s as AUTH_JWT_SECRET', (_what, secret, reason) => {
      const message = refusal({ ...prod, AUTH_JWT_SECRET: secret });
      expect(message).toMatch(/AUTH_JWT_SECRET: /);
      expect(message).toMatch(reason);
      expect(message).not.toContain(secret);
    });

    it('refuses a published secret even next to a JWKS URL', () => {
      expect(
        refusal({
          ...prod,
          AUTH_JWKS_URL: 'https://id.example/jwks',
          AUTH_JWT_SECRET: 'integration-test-secret-0123456789abcdef',
        }),
      ).toMatch(/AUTH_JWT_SECRET: is a value published in the repository/);
    });
  });
});
