import { describe, expect, it } from 'vitest';
import { EnvError, inheritedEnv, isLoopback, loadSettings } from './env.ts';

describe('loadSettings', () => {
  it('applies the documented defaults and puts data under the repo', () => {
    const { env, dataDir, repoRoot } = loadSettings({});
    expect(env).toMatchObject({
      FRONT_DOOR_PORT: 8080,
      API_PORT: 3000,
      GATEWAY_BASE_PORT: 8081,
      GATEWAY_REPLICAS: 3,
      CONTROL_PORT: 8079,
      FRONT_DOOR: 'auto',
    });
    expect(dataDir).toBe(`${repoRoot}/.data`);
    expect(env.FRONT_DOOR_HOST).toBe('127.0.0.1');
    expect(isLoopback(env.FRONT_DOOR_HOST)).toBe(true);
  });

  it('treats empty variables as unset and coerces numbers', () => {
    const { env, dataDir } = loadSettings({
      API_PORT: '',
      GATEWAY_REPLICAS: '5',
      LAUNCHER_DATA_DIR: '/tmp/x',
    });
    expect(env.API_PORT).toBe(3000);
    expect(env.GATEWAY_REPLICAS).toBe(5);
    expect(dataDir).toBe('/tmp/x');
  });

  it('names the variable at fault', () => {
    expect(() => loadSettings({ GATEWAY_REPLICAS: '0' })).toThrow(/GATEWAY_REPLICAS/);
    expect(() => loadSettings({ DATABASE_URL: 'mysql://x' })).toThrow(EnvError);
  });

  it('refuses ports that collide with each other or the gateway range', () => {
    expect(() => loadSettings({ API_PORT: '8080' })).toThrow(/same port as FRONT_DOOR_PORT/);
    expect(() => loadSettings({ API_PORT: '8090' })).toThrow(/gateway range 8081-8100/);
  });

  it('runs no Prometheus unless MONITORING asks, and checks its ports only then', () => {
    expect(loadSettings({}).env).toMatchObject({
      MONITORING: false,
      PROMETHEUS_PORT: 9090,
      ALERTMANAGER_PORT: 9093,
    });
    expect(loadSettings({ PROMETHEUS_PORT: '3000' }).env.MONITORING).toBe(false);
    expect(() => loadSettings({ MONITORING: 'true', PROMETHEUS_PORT: '3000' })).toThrow(
      /PROMETHEUS_PORT: same port as API_PORT/,
    );
    expect(() => loadSettings({ MONITORING: 'maybe' })).toThrow(/MONITORING/);
  });

  it('runs no PgBouncer unless PGBOUNCER asks, and checks its port only then', () => {
    expect(loadSettings({}).env).toMatchObject({ PGBOUNCER: false, PGBOUNCER_PORT: 6432 });
    expect(loadSettings({ PGBOUNCER_PORT: '3000' }).env.PGBOUNCER).toBe(false);
    expect(() => loadSettings({ PGBOUNCER: 'true', PGBOUNCER_PORT: '3000' })).toThrow(
      /PGBOUNCER_PORT: same port as API_PORT/,
    );
    expect(() => loadSettings({ PGBOUNCER: 'sometimes' })).toThrow(/PGBOUNCER/);
  });
});

describe('inheritedEnv', () => {
  it('keeps the rest of the environment but not the launcher knobs or PORT', () => {
    expect(
      inheritedEnv({
        PATH: '/bin',
        PORT: '1',
        DATABASE_URL: 'postgres://x',
        GATEWAY_REPLICAS: '2',
      }),
    ).toEqual({ PATH: '/bin' });
  });
});

describe('isLoopback', () => {
  it('tells this machine from the network', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', '::1'])
      expect(isLoopback(host)).toBe(true);
    for (const host of ['0.0.0.0', '::', '192.168.1.5', '127.example.com']) {
      expect(isLoopback(host)).toBe(false);
    }
  });
});
