import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gatewayTarget } from '../cluster/gateways.ts';
import { findRepoRoot } from '../env.ts';
import { freePort } from '../process/net.ts';
import {
  type Monitoring,
  prometheusConfig,
  startMonitoring,
  writeGatewayTargets,
} from './monitoring.ts';

const repoRoot = findRepoRoot();
const scratch = mkdtempSync(join(tmpdir(), 'launcher-monitoring-'));

/** A stand-in `/metrics` answering like the API's relay leader or a gateway. */
async function metricsServer(body: string): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    if (req.url !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port };
}

interface Target {
  labels: { job: string; instance: string };
  health: string;
}

async function targets(monitoring: Monitoring): Promise<Target[]> {
  const res = await fetch(`${monitoring.prometheusUrl}/api/v1/targets?state=active`);
  return ((await res.json()) as { data: { activeTargets: Target[] } }).data.activeTargets;
}

async function eventually<T>(check: () => Promise<T>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

describe('the local cluster’s Prometheus configuration', () => {
  it('passes promtool check config with the repository’s rules', () => {
    const targetsFile = join(scratch, 'gateways.json');
    writeGatewayTargets(targetsFile, [gatewayTarget(8081, 0), gatewayTarget(8081, 1)]);
    const file = join(scratch, 'prometheus.yml');
    writeFileSync(
      file,
      prometheusConfig({
        apiPort: 3000,
        gatewayTargetsFile: targetsFile,
        alertmanagerPort: 9093,
        rulesDir: join(repoRoot, 'infra/prometheus/rules'),
      }),
    );
    const result = spawnSync('promtool', ['check', 'config', file], { encoding: 'utf8' });
    expect(result.error, 'promtool (Debian package prometheus) must be installed').toBeUndefined();
    expect(`${result.stdout}${result.stderr}`).toMatch(/SUCCESS: 2 rule files found/);
    expect(result.status).toBe(0);
  });
});

describe('MONITORING=true: Prometheus and Alertmanager beside the local cluster', () => {
  let monitoring: Monitoring;
  const servers: Server[] = [];
  let gatewayPorts: number[] = [];

  beforeAll(async () => {
    const api = await metricsServer('dynapharm_relay_leader 1\ndynapharm_relay_backlog 0\n');
    const gateways = await Promise.all([
      metricsServer('gateway_draining 0\n'),
      metricsServer('gateway_draining 0\n'),
    ]);
    servers.push(api.server, ...gateways.map((g) => g.server));
    gatewayPorts = gateways.map((g) => g.port);
    monitoring = await startMonitoring({
      path: process.env.PATH ?? '',
      dataDir: scratch,
      logDir: scratch,
      repoRoot,
      env: process.env,
      apiPort: api.port,
      prometheusPort: await freePort(),
      alertmanagerPort: await freePort(),
      gateways: [{ name: 'gw-1', host: '127.0.0.1', port: gatewayPorts[0] as number }],
    });
  }, 60_000);

  afterAll(async () => {
    await Promise.all(monitoring?.children.map((c) => c.stop('SIGTERM', 5_000)) ?? []);
    for (const server of servers) server.close();
    rmSync(scratch, { recursive: true, force: true });
  });

  it('scrapes the API and the gateways, follows a scale, and loads the rules', async () => {
    await eventually(async () => {
      const up = (await targets(monitoring)).filter((t) => t.health === 'up');
      expect(up.map((t) => t.labels.job).sort()).toEqual(['alertmanager', 'api', 'gateway']);
    });

    // `pnpm cluster:scale 2`: the launcher rewrites the file-discovery targets.
    monitoring.setGateways(
      gatewayPorts.map((port, i) => ({ name: `gw-${i + 1}`, host: '127.0.0.1', port })),
    );
    await eventually(async () => {
      const gateways = (await targets(monitoring)).filter(
        (t) => t.labels.job === 'gateway' && t.health === 'up',
      );
      expect(gateways.map((t) => t.labels.instance).sort()).toEqual(
        gatewayPorts.map((p) => `127.0.0.1:${p}`).sort(),
      );
    });

    const rules = (await (await fetch(`${monitoring.prometheusUrl}/api/v1/rules`)).json()) as {
      data: { groups: { name: string }[] };
    };
    expect(rules.data.groups.map((g) => g.name)).toContain('dynapharm-relay');
    const managers = (await (
      await fetch(`${monitoring.prometheusUrl}/api/v1/alertmanagers`)
    ).json()) as { data: { activeAlertmanagers: { url: string }[] } };
    expect(managers.data.activeAlertmanagers[0]?.url).toContain(monitoring.alertmanagerUrl);
  });
});
