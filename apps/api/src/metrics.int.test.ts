import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from './testing/harness.ts';

const metricsToken = 'api-suite-metrics-token-0123456789';
let t: TestApi;

beforeAll(async () => {
  t = await startTestApi({ env: { METRICS_TOKEN: metricsToken } });
});
afterAll(async () => {
  await t?.close();
});

describe('/metrics with METRICS_TOKEN', () => {
  it('refuses a scrape without the token or with another one', async () => {
    for (const authorization of [undefined, `Bearer ${metricsToken}x`, `Basic ${metricsToken}`]) {
      const res = await t.request('/metrics', {
        headers: authorization ? { authorization } : {},
      });
      expect(res.status).toBe(401);
      expect(await res.json()).toMatchObject({
        error: { code: 'unauthorized', message: 'send the metrics token as Authorization: Bearer' },
      });
    }
  });

  it('answers the bearer of the token with the relay and HTTP metrics', async () => {
    const res = await t.request('/metrics', {
      headers: { authorization: `Bearer ${metricsToken}` },
    });
    expect(res.status).toBe(200);
    const text = await res.text();
    for (const name of [
      'dynapharm_api_http_request_duration_seconds',
      'dynapharm_relay_leader',
      'dynapharm_relay_head_offset',
      'dynapharm_relay_published_offset',
      'dynapharm_relay_backlog',
    ]) {
      expect(text).toContain(`# TYPE ${name} `);
    }
  });
});
