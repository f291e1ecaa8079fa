import { defineEnv, EnvError } from '@dynapharm/types';
import { describe, expect, it } from 'vitest';
import { describeBus } from './config.ts';
import { busConfigFromEnv, busEnv } from './env.ts';

const env = defineEnv('bus', [busEnv]);

function refusal(source: Record<string, string>): EnvError {
  try {
    env.parse(source);
  } catch (err) {
    if (err instanceof EnvError) return err;
    throw err;
  }
  throw new Error('the environment was accepted');
}

describe('bus environment', () => {
  it('defaults to one Redis on 127.0.0.1:6379 with the classic adapter', () => {
    const config = busConfigFromEnv(env.parse({}));
    expect(config).toEqual({
      redisUrl: 'redis://127.0.0.1:6379',
      adapter: 'classic',
      keyPrefix: 'socket.io',
    });
    expect(config.clusterNodes).toBeUndefined();
  });

  it('reads REDIS_CLUSTER_NODES as the seed nodes of a cluster', () => {
    const config = busConfigFromEnv(
      env.parse({
        REDIS_CLUSTER_NODES: ' redis-a:7000, 10.0.0.2:7001,[::1]:7002 ',
        REDIS_ADAPTER: 'sharded',
      }),
    );
    expect(config.clusterNodes).toEqual([
      { host: 'redis-a', port: 7000 },
      { host: '10.0.0.2', port: 7001 },
      { host: '::1', port: 7002 },
    ]);
    expect(describeBus(config)).toBe(
      'sharded "socket.io" on cluster redis-a:7000,10.0.0.2:7001,[::1]:7002',
    );
  });

  it('refuses REDIS_URL together with REDIS_CLUSTER_NODES, naming both', () => {
    const err = refusal({
      REDIS_URL: 'redis://cache:6379',
      REDIS_CLUSTER_NODES: 'redis-a:7000',
    });
    expect(err.variables).toEqual(['REDIS_URL', 'REDIS_CLUSTER_NODES']);
    expect(err.message).toContain(
      'REDIS_URL and REDIS_CLUSTER_NODES are mutually exclusive: set only one',
    );
  });

  it.each(['redis-a', 'redis-a:0', 'redis-a:70000', 'redis://a:7000', ',', 'a:7000,b'])(
    'refuses the node list %j, naming REDIS_CLUSTER_NODES',
    (nodes) => {
      const err = refusal({ REDIS_CLUSTER_NODES: nodes });
      expect(err.variables).toEqual(['REDIS_CLUSTER_NODES']);
      expect(err.message).toMatch(/REDIS_CLUSTER_NODES: host:port,host:port,… expected/);
    },
  );
});
