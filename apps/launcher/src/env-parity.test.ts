import { apiEnv } from '@dynapharm/api/env';
import { gatewayEnv } from '@dynapharm/gateway/env';
import { EnvError } from '@dynapharm/types';
import { describe, expect, it } from 'vitest';

// The launcher (and compose) hand API and gateways one environment; the relay
// and the gateways must then agree on the bus, or events go nowhere.
const SECRET = 'Hq3x9Zp2LmN8vB4cR7tY1wK6sD0fG5jA';
const api = { DATABASE_URL: 'postgres://app:pw@127.0.0.1:5432/x', AUTH_JWT_SECRET: SECRET };
const gateway = { AUTH_JWT_SECRET: SECRET, PUBLISH_TOKEN: 'pT7r2Xq9Lk4Vb8Nc1Zs6Wd3Fg0Hj5Mm2' };
const bus = ['REDIS_URL', 'REDIS_CLUSTER_NODES', 'REDIS_ADAPTER', 'REDIS_KEY_PREFIX'] as const;

function outcome(parse: () => Record<string, unknown>) {
  try {
    const env = parse();
    return { ok: Object.fromEntries(bus.map((k) => [k, env[k]])) };
  } catch (err) {
    if (!(err instanceof EnvError)) throw err;
    const lines = err.message.split('\n').filter((l) => bus.some((k) => l.startsWith(`  ${k}:`)));
    return { refused: lines };
  }
}

describe('API and gateway environments', () => {
  it('declare the bus variables through the same fragment', () => {
    for (const name of bus) {
      expect(apiEnv.variables).toContain(name);
      expect(gatewayEnv.variables).toContain(name);
    }
  });

  it.each([
    {},
    { REDIS_URL: '', REDIS_ADAPTER: '', REDIS_KEY_PREFIX: '' },
    {
      REDIS_URL: 'rediss://cache.internal:6380/2',
      REDIS_ADAPTER: 'sharded',
      REDIS_KEY_PREFIX: 'eu:1',
    },
    { REDIS_URL: 'http://cache.internal', REDIS_ADAPTER: 'cluster', REDIS_KEY_PREFIX: 'a b' },
    { REDIS_ADAPTER: 'Sharded' },
    { REDIS_CLUSTER_NODES: 'redis-a:7000,redis-b:7001', REDIS_ADAPTER: 'sharded' },
    { REDIS_CLUSTER_NODES: 'redis-a:7000', REDIS_URL: 'redis://cache.internal:6379' },
    { REDIS_CLUSTER_NODES: 'redis-a' },
  ])('parse the bus of %j identically', (vars) => {
    const fromApi = outcome(() => apiEnv.parse({ ...api, ...vars }));
    const fromGateway = outcome(() => gatewayEnv.parse({ ...gateway, ...vars }));
    expect(fromGateway).toEqual(fromApi);
  });
});
