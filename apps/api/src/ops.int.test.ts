import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  eventually,
  type FaultProxy,
  freePort,
  type PrometheusServer,
  stack,
  startFaultProxy,
  startPrometheus,
} from '@dynapharm/testkit';
import type { OpsStatus } from '@dynapharm/types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from './testing/harness.ts';

async function createClients(api: TestApi, token: string, n: number) {
  for (let i = 0; i < n; i++) {
    const res = await api.request('/api/clients', {
      method: 'POST',
      token,
      json: { branchId: api.branches[0]?.id, fullName: `Ops lag ${i}` },
    });
    expect(res.status).toBe(201);
  }
}

async function status(api: TestApi, token: string): Promise<OpsStatus> {
  const res = await api.request('/api/ops/status', { token });
  expect(res.status).toBe(200);
  return (await res.json()) as OpsStatus;
}

describe('GET /api/ops/status: who may read it', () => {
  let api: TestApi;

  beforeAll(async () => {
    api = await startTestApi({ relay: false });
  });
  afterAll(async () => {
    await api?.close();
  });

  it('is for admins only', async () => {
    const branch = api.branches[0]?.id ?? '';
    for (const role of ['manager', 'staff'] as const) {
      const res = await api.request('/api/ops/status', { token: await api.token(role, [branch]) });
      expect(res.status, role).toBe(403);
      expect(await res.json()).toEqual({
        error: { code: 'forbidden', message: `role ${role} may not read the operations status` },
      });
    }
    expect((await api.request('/api/ops/status')).status).toBe(401);
    const admin = await api.request('/api/ops/status', { token: await api.token('admin') });
    expect(admin.status).toBe(200);
  });

  it('refuses query parameters by name', async () => {
    const res = await api.request('/api/ops/status?verbose=1', { token: await api.token('admin') });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      error: {
        code: 'validation_failed',
        message: 'unknown query parameter: verbose',
        details: { issues: [{ path: 'verbose', message: 'this route takes no parameters' }] },
      },
    });
  });

  it('reports Prometheus as not configured without PROMETHEUS_URL', async () => {
    const { alerts } = await status(api, await api.token('admin'));
    expect(alerts).toEqual({ status: 'not_configured', reason: null, alerts: [] });
  });
});

describe('GET /api/ops/status: relay lag', () => {
  it('shows changes no relay has claimed as lag, with no leader', async () => {
    const api = await startTestApi({ relay: false });
    try {
      const admin = await api.token('admin');
      const before = await status(api, admin);
      await createClients(api, admin, 4);
      const after = await status(api, admin);
      expect(after.relay).toMatchObject({
        status: 'no_leader',
        leader: false,
        head: before.relay.head,
        publishedOffset: before.relay.publishedOffset,
        unclaimed: before.relay.unclaimed + 4,
      });
      expect(after.relay.lag.changes).toBe(before.relay.lag.changes + 4);
      expect(after.relay.lag.seconds).toBeGreaterThan(0);
    } finally {
      await api.close();
    }
  });

  describe('with a leader whose Redis stops answering', () => {
    let proxy: FaultProxy;
    let api: TestApi;

    beforeAll(async () => {
      proxy = await startFaultProxy(stack().redisUrl);
      api = await startTestApi({ relay: true, env: { REDIS_URL: proxy.url } });
    });
    afterAll(async () => {
      proxy?.resume();
      await api?.close();
      await proxy?.close();
    });

    it('catches up, then shows claimed but unpublished changes as lag, then recovers', async () => {
      const admin = await api.token('admin');
      const caughtUp = await eventually(
        () => status(api, admin),
        (s) => s.relay.status === 'ok' && s.relay.head > 0,
        15_000,
      );
      expect(caughtUp.relay).toMatchObject({
        leader: true,
        publishedOffset: caughtUp.relay.head,
        unclaimed: 0,
        lag: { changes: 0, seconds: 0 },
      });
      expect(caughtUp.relay.epoch).toMatch(/^[0-9a-f-]{36}$/);

      // Redis holds every reply back: the leader claims a batch, never hears it
      // confirmed, and claims nothing more until it is; the rest stays unclaimed.
      proxy.stall();
      await createClients(api, admin, 3);
      const lagging = await eventually(
        () => status(api, admin),
        (s) => s.relay.head > caughtUp.relay.head && s.relay.lag.changes === 3,
        10_000,
      );
      expect(lagging.relay).toMatchObject({
        status: 'lagging',
        leader: true,
        publishedOffset: caughtUp.relay.head,
      });
      expect(lagging.relay.head - lagging.relay.publishedOffset + lagging.relay.unclaimed).toBe(3);
      expect(lagging.relay.lag.seconds).toBeGreaterThan(0);

      proxy.resume();
      const recovered = await eventually(
        () => status(api, admin),
        (s) => s.relay.status === 'ok',
        20_000,
      );
      expect(recovered.relay).toMatchObject({
        head: caughtUp.relay.head + 3,
        publishedOffset: caughtUp.relay.head + 3,
        lag: { changes: 0, seconds: 0 },
      });
    }, 60_000);
  });
});

describe('GET /api/ops/status: alerts from Prometheus', () => {
  let prometheus: PrometheusServer;
  let db: TestApi;
  const apis: TestApi[] = [];
  const servers: Server[] = [];

  /** A second API process on the same database, with its own PROMETHEUS_URL. */
  async function apiWith(url: string, timeoutMs = 2000) {
    const api = await startTestApi({
      database: db.database,
      relay: false,
      env: { PROMETHEUS_URL: url, PROMETHEUS_TIMEOUT_MS: timeoutMs },
    });
    apis.push(api);
    return api;
  }

  async function listen(handler: (req: IncomingMessage, res: ServerResponse) => void) {
    const server = createServer(handler);
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  beforeAll(async () => {
    [prometheus, db] = await Promise.all([
      startPrometheus([
        {
          alert: 'AlwaysFiring',
          expr: 'vector(1) > 0',
          labels: { severity: 'critical' },
          annotations: { summary: 'A rule that always fires' },
        },
        {
          alert: 'SlowToFire',
          expr: 'vector(1) > 0',
          for: '1h',
          labels: { severity: 'warning' },
          annotations: { description: 'Pending for an hour' },
        },
      ]),
      startTestApi({ relay: false }),
    ]);
  }, 60_000);
  afterAll(async () => {
    for (const server of servers) server.closeAllConnections();
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
    await Promise.all(apis.map((a) => a.close()));
    await db?.close();
    await prometheus?.stop();
  });

  it('lists the firing and the pending alert of a real Prometheus', async () => {
    const api = await apiWith(prometheus.url);
    const admin = await api.token('admin');
    const { alerts } = await eventually(
      () => status(api, admin),
      (s) => s.alerts.alerts.length === 2,
      15_000,
    );
    expect(alerts.status).toBe('ok');
    expect(alerts.reason).toBeNull();
    expect(alerts.alerts).toEqual([
      {
        name: 'AlwaysFiring',
        state: 'firing',
        severity: 'critical',
        summary: 'A rule that always fires',
        activeAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        labels: { alertname: 'AlwaysFiring', severity: 'critical' },
      },
      {
        name: 'SlowToFire',
        state: 'pending',
        severity: 'warning',
        summary: 'Pending for an hour',
        activeAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        labels: { alertname: 'SlowToFire', severity: 'warning' },
      },
    ]);
  });

  it('reports an unreachable, slow or wrong Prometheus as unavailable, never as a 500', async () => {
    const closed = `http://127.0.0.1:${await freePort()}`;
    const hanging = await listen(() => {
      // never answers
    });
    const failing = await listen((_req, res) => res.writeHead(503).end('overloaded'));
    const notJson = await listen((_req, res) => res.writeHead(200).end('<html>'));
    const notAlerts = await listen((_req, res) =>
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"error"}'),
    );
    const cases: [string, number, string][] = [
      [closed, 2000, 'Prometheus is unreachable'],
      [hanging, 300, 'Prometheus did not answer within 300 ms'],
      [failing, 2000, 'Prometheus answered 503'],
      [notJson, 2000, 'Prometheus answered something that is not JSON'],
      [notAlerts, 2000, 'Prometheus answered something that is not an alert list'],
    ];
    for (const [url, timeoutMs, reason] of cases) {
      const api = await apiWith(url, timeoutMs);
      const started = Date.now();
      const body = await status(api, await api.token('admin'));
      expect(body.alerts, url).toEqual({ status: 'unavailable', reason, alerts: [] });
      expect(body.relay.status).toBe('no_leader');
      expect(Date.now() - started).toBeLessThan(timeoutMs + 1500);
    }
  }, 60_000);
});
