import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTokenVerifier, signToken } from '@dynapharm/auth';
import type { Database } from '@dynapharm/db';
import type { Redis } from 'ioredis';
import { SignJWT } from 'jose';
import type { Pool } from 'pg';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { type AppDeps, createApp } from './app.ts';
import { loadEnv } from './env.ts';
import { createMetrics } from './metrics.ts';
import { buildOpenApi } from './openapi.ts';
import { createContractChecker } from './testing/contract.ts';

const secret = 'rate-limit-test-secret-0123456789abcdef';
const contract = createContractChecker(buildOpenApi() as unknown as Record<string, unknown>);
const servers: Server[] = [];

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

/**
 * An app whose limits answer before anything reaches the database: the
 * requests used here never get past them, or end before the database.
 */
async function start(overrides: Partial<AppDeps>) {
  const app = createApp({
    db: {} as Database,
    pool: {} as Pool,
    redis: {} as Redis,
    verify: createTokenVerifier({ secret }),
    logger: pino({ level: 'silent' }),
    metrics: createMetrics(),
    allowedOrigins: [],
    isLeader: () => false,
    isDraining: () => false,
    ...overrides,
  });
  const server = app.listen(0, '127.0.0.1');
  servers.push(server);
  await once(server, 'listening');
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return async (path: string, init: RequestInit = {}) => {
    const res = await fetch(`${base}${path}`, init);
    const violations = await contract.check(init.method ?? 'GET', `${base}${path}`, res.clone());
    expect(violations).toEqual([]);
    return res;
  };
}

const bearer = async (sub: string) => ({
  authorization: `Bearer ${await signToken({ sub, role: 'admin', branches: [] }, { secret })}`,
});

describe('read limit', () => {
  it('answers 429 with RateLimit headers once a caller has used its reads, and only that caller', async () => {
    const request = await start({ readRateLimitPerMinute: 3 });
    const reader = await bearer('reader');
    for (let i = 0; i < 3; i++) {
      expect((await request('/api/auth/me', { headers: reader })).status).toBe(200);
    }
    const refused = await request('/api/changes?after=0', { headers: reader });
    expect(refused.status).toBe(429);
    expect(refused.headers.get('ratelimit')).toMatch(/"reads"; r=0/);
    expect(refused.headers.get('ratelimit-policy')).toMatch(/"reads"; q=3/);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await refused.json()).toMatchObject({ error: { code: 'rate_limited' } });

    expect((await request('/api/auth/me', { headers: await bearer('someone-else') })).status).toBe(
      200,
    );
  });
});

describe('sign-in limit', () => {
  it('answers 429 to an address that keeps calling the sign-in routes', async () => {
    const request = await start({ authRateLimitPerMinute: 2 });
    const login = () =>
      request('/api/auth/dev-login', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ userId: 'admin-1' }),
      });
    expect((await login()).status).toBe(404);
    expect((await login()).status).toBe(404);
    const refused = await login();
    expect(refused.status).toBe(429);
    expect(refused.headers.get('ratelimit')).toMatch(/"sign-in"; r=0/);
    expect((await request('/api/auth/dev-users')).status).toBe(429);
    // A signed-in caller's own routes are not counted per address.
    expect((await request('/api/auth/me', { headers: await bearer('signed-in') })).status).toBe(
      200,
    );
  });
});

describe('tokens', () => {
  it('refuses a token without exp with 401', async () => {
    const request = await start({});
    const forever = await new SignJWT({ role: 'admin', branches: [] })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('forever')
      .sign(new TextEncoder().encode(secret));
    const res = await request('/api/auth/me', { headers: { authorization: `Bearer ${forever}` } });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('unauthorized');
  });
});

describe('behind the front door (TRUST_PROXY=true)', () => {
  it('keys the limit on the address the front door saw, whatever X-Forwarded-For the client forged', async () => {
    const { TRUST_PROXY } = loadEnv({
      DATABASE_URL: 'postgres://app:pw@db:5432/dynapharm',
      AUTH_JWT_SECRET: secret,
      TRUST_PROXY: 'true',
    });
    const request = await start({ trustProxy: TRUST_PROXY, authRateLimitPerMinute: 2 });
    // This test is the front door (127.0.0.1): it appends the client's real address.
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await request('/api/auth/dev-login', {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-forwarded-for': `198.51.100.${i + 1}, 203.0.113.7`,
        },
        body: JSON.stringify({ userId: 'admin-1' }),
      });
      statuses.push(res.status);
    }
    expect(statuses.slice(0, 2)).not.toContain(429);
    expect(statuses[2]).toBe(429);
  });
});
