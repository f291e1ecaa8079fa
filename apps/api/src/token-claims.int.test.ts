import { signToken } from '@dynapharm/auth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, TEST_SECRET, type TestApi } from './testing/harness.ts';

// `iss`/`aud` are checked by the API exactly as by the gateways: when
// AUTH_JWT_ISSUER / AUTH_JWT_AUDIENCE are configured, and only then.
const ISSUER = 'https://id.dynapharm.test';
const AUDIENCE = 'dynapharm-realtime';

const token = (claims: { issuer?: string; audience?: string }) =>
  signToken({ sub: 'admin-user', role: 'admin', branches: [] }, { secret: TEST_SECRET, ...claims });

async function status(api: TestApi, bearer: string) {
  const res = await fetch(`${api.url}/api/branches?limit=1`, {
    headers: { authorization: `Bearer ${bearer}` },
  });
  return res.status;
}

describe('with AUTH_JWT_ISSUER and AUTH_JWT_AUDIENCE', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi({
      seed: false,
      relay: false,
      env: { AUTH_MODE: 'jwt', AUTH_JWT_ISSUER: ISSUER, AUTH_JWT_AUDIENCE: AUDIENCE },
    });
  });
  afterAll(() => api?.close());

  it('accepts a token from that issuer for that audience', async () => {
    expect(await status(api, await token({ issuer: ISSUER, audience: AUDIENCE }))).toBe(200);
  });

  it.each([
    ['a wrong issuer', { issuer: 'https://elsewhere.test', audience: AUDIENCE }],
    ['a wrong audience', { issuer: ISSUER, audience: 'another-service' }],
    ['no issuer', { audience: AUDIENCE }],
    ['no audience', { issuer: ISSUER }],
  ])('refuses a token with %s (401)', async (_what, claims) => {
    expect(await status(api, await token(claims))).toBe(401);
  });
});

describe('without them', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi({ seed: false, relay: false, env: { AUTH_MODE: 'jwt' } });
  });
  afterAll(() => api?.close());

  it('accepts tokens whatever their issuer and audience', async () => {
    expect(
      await status(api, await token({ issuer: 'https://elsewhere.test', audience: 'x' })),
    ).toBe(200);
    expect(await status(api, await token({}))).toBe(200);
  });
});
