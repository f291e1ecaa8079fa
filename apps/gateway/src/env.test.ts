import { describe, expect, it } from 'vitest';
import { loadEnv } from './env.ts';

const base = {
  AUTH_JWT_SECRET: 'a-secret-that-is-at-least-32-chars-long',
  PUBLISH_TOKEN: 'publish-token-0123456789',
};

describe('loadEnv', () => {
  it('applies documented defaults', () => {
    const env = loadEnv(base);
    expect(env).toMatchObject({
      PORT: 8081,
      REDIS_URL: 'redis://127.0.0.1:6379',
      REDIS_ADAPTER: 'classic',
      REDIS_KEY_PREFIX: 'socket.io',
      ALLOWED_ORIGINS: ['http://localhost:8080', 'http://127.0.0.1:8080'],
      COLLECT_DEFAULT_METRICS: true,
    });
    expect(env.REPLICA_ID).toMatch(/-\d+$/);
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

  it('treats empty variables as unset', () => {
    expect(loadEnv({ ...base, AUTH_JWKS_URL: '', PORT: '' }).PORT).toBe(8081);
  });

  it('names every variable at fault', () => {
    expect(() => loadEnv({ PUBLISH_TOKEN: 'short', COLLECT_DEFAULT_METRICS: 'maybe' })).toThrow(
      /PUBLISH_TOKEN: must be at least 16 characters[\s\S]*COLLECT_DEFAULT_METRICS/,
    );
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
});
