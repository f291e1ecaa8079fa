import { busConfigFromEnv } from '@dynapharm/outbox';
import { describe, expect, it } from 'vitest';
import { EnvError, loadEnv } from './env.ts';

const SECRET = 'Hq3x9Zp2LmN8vB4cR7tY1wK6sD0fG5jA';
const base = { DATABASE_URL: 'postgres://app:pw@db:5432/dynapharm', AUTH_JWT_SECRET: SECRET };
const production = {
  NODE_ENV: 'production',
  DATABASE_URL: 'postgres://app:9f2c1d7e5b8a4c3f6e0d@db:5432/dynapharm',
  AUTH_JWT_SECRET: SECRET,
};

function refusal(source: Record<string, string>): EnvError {
  try {
    loadEnv(source);
  } catch (err) {
    if (err instanceof EnvError) return err;
    throw err;
  }
  throw new Error('the environment was accepted');
}

describe('loadEnv (API)', () => {
  it('applies the defaults of every fragment', () => {
    expect(loadEnv(base)).toMatchObject({
      NODE_ENV: 'development',
      PORT: 3000,
      DATABASE_POOL_MAX: 20,
      AUTH_MODE: 'jwt',
      REDIS_ADAPTER: 'classic',
      REDIS_KEY_PREFIX: 'socket.io',
      RELAY_ENABLED: true,
      TRUST_PROXY: false,
      DB_SEED: false,
    });
  });

  it('treats empty variables as unset, as compose writes them', () => {
    const env = loadEnv({
      ...base,
      PORT: '',
      AUTH_JWKS_URL: '',
      AUTH_JWT_ISSUER: '',
      AUTH_JWT_AUDIENCE: '',
      AUTH_MODE: '',
      TRUST_PROXY: '',
      REDIS_URL: '',
    });
    expect(env).toMatchObject({ PORT: 3000, AUTH_MODE: 'jwt', TRUST_PROXY: false });
    expect(env.REDIS_URL).toBeUndefined();
    expect(busConfigFromEnv(env).redisUrl).toBe('redis://127.0.0.1:6379');
    expect(env.AUTH_JWT_ISSUER).toBeUndefined();
    expect(env.AUTH_JWT_AUDIENCE).toBeUndefined();
  });

  it('reads booleans the same way everywhere; "false" stays false', () => {
    for (const [raw, value] of [
      ['false', false],
      ['0', false],
      ['no', false],
      ['true', true],
      ['1', true],
      ['yes', true],
    ] as const) {
      expect(loadEnv({ ...base, RELAY_ENABLED: raw }).RELAY_ENABLED).toBe(value);
    }
    expect(refusal({ ...base, RELAY_ENABLED: 'maybe' }).variables).toEqual(['RELAY_ENABLED']);
  });

  it('reads TRUST_PROXY as a hop count or trusted proxies, never "every hop"', () => {
    for (const [raw, value] of [
      ['false', false],
      ['0', false],
      ['true', 1],
      ['2', 2],
      ['loopback, 10.0.0.0/8', ['loopback', '10.0.0.0/8']],
      ['::1', ['::1']],
    ] as const) {
      expect(loadEnv({ ...base, TRUST_PROXY: raw }).TRUST_PROXY).toEqual(value);
    }
    for (const raw of ['maybe', 'face', 'everything']) {
      expect(refusal({ ...base, TRUST_PROXY: raw }).variables).toEqual(['TRUST_PROXY']);
    }
  });

  it('reads the issuer and audience the gateway checks', () => {
    const env = loadEnv({
      ...base,
      AUTH_JWT_ISSUER: 'https://id.example',
      AUTH_JWT_AUDIENCE: 'api',
    });
    expect([env.AUTH_JWT_ISSUER, env.AUTH_JWT_AUDIENCE]).toEqual(['https://id.example', 'api']);
  });

  it('names every bad variable in one message', () => {
    const err = refusal({
      DATABASE_URL: 'mysql://x',
      PORT: '-1',
      REDIS_ADAPTER: 'cluster',
      RELAY_ENABLED: 'perhaps',
      AUTH_MODE: 'magic',
    });
    expect(err.variables).toEqual([
      'DATABASE_URL',
      'AUTH_MODE',
      'REDIS_ADAPTER',
      'RELAY_ENABLED',
      'PORT',
    ]);
    expect(err.message).toMatch(/^invalid environment for @dynapharm\/api:\n/);
    for (const name of err.variables) expect(err.message).toMatch(new RegExp(`^  ${name}: `, 'm'));
  });

  describe('with NODE_ENV=production', () => {
    it('starts with jwt auth, a generated secret and no demo data', () => {
      expect(loadEnv(production)).toMatchObject({ NODE_ENV: 'production', AUTH_MODE: 'jwt' });
    });

    it('refuses dev auth', () => {
      expect(refusal({ ...production, AUTH_MODE: 'dev' }).variables).toEqual(['AUTH_MODE']);
    });

    it.each([
      ['missing', {}],
      ['short', { AUTH_JWT_SECRET: 'Hq3x9Zp2LmN8vB4c' }],
      [
        'the old .env.example value',
        { AUTH_JWT_SECRET: 'dev-only-jwt-secret-change-me-0123456789abcdef' },
      ],
      [
        'the new .env.example placeholder',
        { AUTH_JWT_SECRET: 'CHANGE-ME-run-pnpm-secrets-to-generate-this' },
      ],
    ])('refuses a %s AUTH_JWT_SECRET', (_what, secret) => {
      const { AUTH_JWT_SECRET: _, ...rest } = production;
      expect(refusal({ ...rest, ...secret }).variables).toEqual(['AUTH_JWT_SECRET']);
    });

    it('refuses demo seeding', () => {
      const err = refusal({ ...production, DB_SEED: 'true' });
      expect(err.variables).toEqual(['DB_SEED']);
      expect(err.message).toMatch(/DB_SEED: demo data .* refused with NODE_ENV=production/);
      expect(loadEnv({ ...production, DB_SEED: 'false' }).DB_SEED).toBe(false);
      expect(loadEnv({ ...base, DB_SEED: 'true' }).DB_SEED).toBe(true);
    });

    it('refuses a published database password', () => {
      const err = refusal({
        ...production,
        DATABASE_URL:
          'postgres://dynapharm:dynapharm-dev-password-change-me@postgres:5432/dynapharm',
      });
      expect(err.variables).toEqual(['DATABASE_URL']);
      expect(err.message).not.toContain('dynapharm-dev-password');
    });

    it("refuses a published password in the relay's direct URL, and takes it when sound", () => {
      const err = refusal({
        ...production,
        RELAY_DATABASE_URL:
          'postgres://dynapharm:dynapharm-dev-password-change-me@postgres:5432/dynapharm',
      });
      expect(err.variables).toEqual(['RELAY_DATABASE_URL']);
      expect(err.message).not.toContain('dynapharm-dev-password');
      const direct = production.DATABASE_URL.replace('@db:5432', '@db-primary:5432');
      expect(loadEnv({ ...production, RELAY_DATABASE_URL: direct }).RELAY_DATABASE_URL).toBe(
        direct,
      );
      expect(loadEnv(production).RELAY_DATABASE_URL).toBeUndefined();
      expect(refusal({ ...base, RELAY_DATABASE_URL: 'mysql://x' }).variables).toEqual([
        'RELAY_DATABASE_URL',
      ]);
    });

    it('names every unsafe setting at once', () => {
      const err = refusal({
        NODE_ENV: 'production',
        DATABASE_URL: production.DATABASE_URL,
        AUTH_MODE: 'dev',
        AUTH_JWT_SECRET: 'dev-only-jwt-secret-change-me-0123456789abcdef',
        DB_SEED: 'yes',
      });
      expect(err.variables).toEqual(['DB_SEED', 'AUTH_JWT_SECRET', 'AUTH_MODE']);
    });
  });
});
