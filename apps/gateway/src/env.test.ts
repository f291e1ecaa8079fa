import { busConfigFromEnv } from '@dynapharm/outbox';
import bcrypt from 'bcryptjs';
import { describe, expect, it } from 'vitest';
import { EnvError, loadEnv } from './env.ts';

const base = {
  AUTH_JWT_SECRET: 'a-secret-that-is-at-least-32-chars-long',
  PUBLISH_TOKEN: 'publish-token-0123456789',
};

describe('loadEnv', () => {
  it('applies documented defaults', () => {
    const env = loadEnv(base);
    expect(env).toMatchObject({
      PORT: 8081,
      REDIS_ADAPTER: 'classic',
      REDIS_KEY_PREFIX: 'socket.io',
      ALLOWED_ORIGINS: ['http://localhost:8080', 'http://127.0.0.1:8080'],
      COLLECT_DEFAULT_METRICS: true,
    });
    expect(env.REPLICA_ID).toMatch(/-\d+$/);
    // Unset REDIS_URL (and no REDIS_CLUSTER_NODES) is the one local Redis.
    expect(busConfigFromEnv(env).redisUrl).toBe('redis://127.0.0.1:6379');
  });

  it('reads "false" as false and parses lists', () => {
    const env = loadEnv({
      ...base,
      COLLECT_DEFAULT_METRICS: 'false',
      ALLOWED_ORIGINS: 'https://a.example/, https://b.example',
      PORT: '9000',
    });
    expect(env.COLLECT_DEFAULT_METRICS).toBe(false);
    expect(env.ALLOWED_ORIGINS).toEqual(['https://a.example', 'https://b.example']);
    expect(env.PORT).toBe(9000);
  });

  it('takes the Socket.IO heartbeat, below the front door timeouts', () => {
    expect(loadEnv(base)).toMatchObject({
      SOCKET_PING_INTERVAL_MS: 25_000,
      SOCKET_PING_TIMEOUT_MS: 20_000,
    });
    const env = loadEnv({
      ...base,
      SOCKET_PING_INTERVAL_MS: '1000',
      SOCKET_PING_TIMEOUT_MS: '2000',
    });
    expect([env.SOCKET_PING_INTERVAL_MS, env.SOCKET_PING_TIMEOUT_MS]).toEqual([1000, 2000]);
    expect(() => loadEnv({ ...base, SOCKET_PING_INTERVAL_MS: '100' })).toThrow(
      /SOCKET_PING_INTERVAL_MS/,
    );
    expect(() =>
      loadEnv({ ...base, SOCKET_PING_INTERVAL_MS: '40000', SOCKET_PING_TIMEOUT_MS: '20000' }),
    ).toThrow(
      /SOCKET_PING_TIMEOUT_MS: SOCKET_PING_INTERVAL_MS \+ SOCKET_PING_TIMEOUT_MS must stay below/,
    );
  });

  it('treats empty variables as unset', () => {
    expect(loadEnv({ ...base, AUTH_JWKS_URL: '', PORT: '' }).PORT).toBe(8081);
  });

  it('names every variable at fault', () => {
    const bad = () => loadEnv({ PUBLISH_TOKEN: 'short', COLLECT_DEFAULT_METRICS: 'maybe' });
    expect(bad).toThrow(/PUBLISH_TOKEN: must be at least 16 characters/);
    expect(bad).toThrow(/COLLECT_DEFAULT_METRICS: expected true\/false/);
    expect(bad).toThrow(/AUTH_JWT_SECRET: set AUTH_JWT_SECRET/);
    expect(() => loadEnv({ PUBLISH_TOKEN: base.PUBLISH_TOKEN })).toThrow(
      /AUTH_JWT_SECRET: set AUTH_JWT_SECRET \(HS256\) or AUTH_JWKS_URL/,
    );
    expect(() => loadEnv({ ...base, REDIS_ADAPTER: 'cluster' })).toThrow(/REDIS_ADAPTER/);
    expect(() => loadEnv({ ...base, DRAIN_SPREAD_MS: '20000' })).toThrow(
      /DRAIN_SPREAD_MS: must not exceed DRAIN_TIMEOUT_MS/,
    );
  });

  it('accepts a JWKS URL instead of a secret', () => {
    const env = loadEnv({
      PUBLISH_TOKEN: base.PUBLISH_TOKEN,
      AUTH_JWKS_URL: 'https://id.example/.well-known/jwks.json',
    });
    expect(env.AUTH_JWT_SECRET).toBeUndefined();
  });

  it('reads the issuer and audience the token verifier checks', () => {
    const env = loadEnv({ ...base, AUTH_JWT_ISSUER: 'https://id.example', AUTH_JWT_AUDIENCE: '' });
    expect(env.AUTH_JWT_ISSUER).toBe('https://id.example');
    expect(env.AUTH_JWT_AUDIENCE).toBeUndefined();
  });
});

describe('loadEnv with NODE_ENV=production', () => {
  const production = {
    NODE_ENV: 'production',
    AUTH_JWT_SECRET: 'Hq3x9Zp2LmN8vB4cR7tY1wK6sD0fG5jA',
    PUBLISH_TOKEN: 'pT7r2Xq9Lk4Vb8Nc1Zs6Wd3Fg0Hj5Mm2',
    METRICS_TOKEN: 'mK8s3Yd1Qw6Ep9Rt2Uv5Io7Pa4Sf0Gh3',
  };

  const refused = (source: Record<string, string>) => {
    try {
      loadEnv(source);
    } catch (err) {
      if (err instanceof EnvError) return err.variables;
      throw err;
    }
    return [];
  };

  it('starts with generated secrets', () => {
    expect(loadEnv(production).NODE_ENV).toBe('production');
  });

  it.each([
    ['PUBLISH_TOKEN', 'short', 'pT7r2Xq9Lk4Vb8Nc1Zs6'],
    ['PUBLISH_TOKEN', 'published', 'dev-only-publish-token-change-me'],
    ['PUBLISH_TOKEN', 'placeholder', 'CHANGE-ME-run-pnpm-secrets-to-generate-this'],
    ['METRICS_TOKEN', 'missing', undefined],
    ['METRICS_TOKEN', 'short', 'mK8s3Yd1Qw6Ep9Rt2Uv5'],
    ['METRICS_TOKEN', 'placeholder', 'CHANGE-ME-run-pnpm-secrets-to-generate-this'],
    ['AUTH_JWT_SECRET', 'missing', undefined],
    ['AUTH_JWT_SECRET', 'published', 'dev-only-jwt-secret-change-me-0123456789abcdef'],
  ] as const)('refuses a %s that is %s', (name, _what, value) => {
    const source: Record<string, string> = { ...production };
    if (value === undefined) delete source[name];
    else source[name] = value;
    expect(refused(source)).toEqual([name]);
  });

  it('names both tokens when both are bad', () => {
    expect(refused({ ...production, PUBLISH_TOKEN: 'short', METRICS_TOKEN: '' })).toEqual([
      'PUBLISH_TOKEN',
      'METRICS_TOKEN',
    ]);
  });

  it('refuses dev auth and demo seeding, which compose hands every app', () => {
    expect(refused({ ...production, AUTH_MODE: 'dev' })).toEqual(['AUTH_MODE']);
    expect(refused({ ...production, DB_SEED: 'true' })).toEqual(['DB_SEED']);
    expect(loadEnv({ ...base, AUTH_MODE: 'dev', DB_SEED: 'true' }).AUTH_MODE).toBe('dev');
  });
});

describe('Socket.IO Admin UI variables', () => {
  const production = {
    NODE_ENV: 'production',
    AUTH_JWT_SECRET: 'Hq3x9Zp2LmN8vB4cR7tY1wK6sD0fG5jA',
    PUBLISH_TOKEN: 'pT7r2Xq9Lk4Vb8Nc1Zs6Wd3Fg0Hj5Mm2',
    METRICS_TOKEN: 'mK8s3Yd1Qw6Ep9Rt2Uv5Io7Pa4Sf0Gh3',
    ADMIN_UI_ENABLED: 'true',
  };
  const strongHash = bcrypt.hashSync('Vx8-kQ2rT5mW9zL3nB7cY1pD4fH6jS0g', 10);
  const problems = (source: Record<string, string>) => {
    try {
      loadEnv(source);
    } catch (err) {
      if (err instanceof EnvError) return err.message;
      throw err;
    }
    return '';
  };

  it('are off by default and need no hash then', () => {
    const env = loadEnv(base);
    expect(env.ADMIN_UI_ENABLED).toBe(false);
    expect(env.ADMIN_UI_USERNAME).toBe('admin');
    expect(env.ADMIN_UI_READONLY).toBeUndefined();
  });

  it('need a bcrypt hash once enabled, in every mode', () => {
    expect(problems({ ...base, ADMIN_UI_ENABLED: 'true' })).toMatch(
      /ADMIN_UI_PASSWORD_HASH: required with ADMIN_UI_ENABLED=true/,
    );
    expect(problems({ ...base, ADMIN_UI_PASSWORD_HASH: 'plain-text-password-123' })).toMatch(
      /ADMIN_UI_PASSWORD_HASH: must be a bcrypt hash/,
    );
    const env = loadEnv({ ...base, ADMIN_UI_ENABLED: 'yes', ADMIN_UI_PASSWORD_HASH: strongHash });
    expect(env.ADMIN_UI_PASSWORD_HASH).toBe(strongHash);
  });

  it('start in production with a strong hash', () => {
    const env = loadEnv({ ...production, ADMIN_UI_PASSWORD_HASH: strongHash });
    expect(env.ADMIN_UI_ENABLED).toBe(true);
  });

  it('refuse in production a missing, cheap or published hash and a writable UI', () => {
    expect(problems(production)).toMatch(/ADMIN_UI_PASSWORD_HASH: required/);
    const cheap = bcrypt.hashSync('Vx8-kQ2rT5mW9zL3nB7cY1pD4fH6jS0g', 4);
    expect(problems({ ...production, ADMIN_UI_PASSWORD_HASH: cheap })).toMatch(
      /ADMIN_UI_PASSWORD_HASH: bcrypt cost must be at least 10/,
    );
    const published = bcrypt.hashSync('admin-ui-suite-password-0123456789', 10);
    expect(problems({ ...production, ADMIN_UI_PASSWORD_HASH: published })).toMatch(
      /ADMIN_UI_PASSWORD_HASH: is the hash of a value published/,
    );
    expect(
      problems({ ...production, ADMIN_UI_PASSWORD_HASH: strongHash, ADMIN_UI_READONLY: 'false' }),
    ).toMatch(/ADMIN_UI_READONLY: must not be false with NODE_ENV=production/);
    // Outside production the same values are accepted (a development cluster).
    expect(
      loadEnv({ ...base, ADMIN_UI_ENABLED: 'true', ADMIN_UI_PASSWORD_HASH: cheap }),
    ).toBeTruthy();
  });
});
