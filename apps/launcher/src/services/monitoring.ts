import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { GatewayTarget } from '../front-door/routes.ts';
import { type ManagedChild, startChild, tailOf } from '../process/child.ts';
import { findExecutable, waitForHttp } from '../process/net.ts';

export const NO_PROMETHEUS_HELP =
  'MONITORING=true needs Debian’s prometheus and prometheus-alertmanager packages ' +
  '(sudo apt-get install prometheus prometheus-alertmanager)';

export interface PrometheusConfigOptions {
  apiPort: number;
  /** File-based discovery of the gateways (rewritten when the fleet scales). */
  gatewayTargetsFile: string;
  alertmanagerPort: number;
  /** `infra/prometheus/rules`: the same rules as compose. */
  rulesDir: string;
}

/**
 * The local cluster's Prometheus configuration: the API (which runs the relay)
 * and every gateway replica, with the rule files of `infra/prometheus/rules`,
 * alerts to the local Alertmanager. Everything is on 127.0.0.1; the local
 * gateways have no METRICS_TOKEN, so no bearer token is sent.
 */
export function prometheusConfig(options: PrometheusConfigOptions): string {
  const q = (value: string) => JSON.stringify(value);
  return `# Written by the launcher (npm start with MONITORING=true); rewritten at each start.
global:
  scrape_interval: 5s
  evaluation_interval: 5s

rule_files:
  - ${q(join(options.rulesDir, 'recording.yml'))}
  - ${q(join(options.rulesDir, 'alerts.yml'))}

alerting:
  alertmanagers:
    - static_configs:
        - targets: [${q(`127.0.0.1:${options.alertmanagerPort}`)}]

scrape_configs:
  - job_name: api
    static_configs:
      - targets: [${q(`127.0.0.1:${options.apiPort}`)}]
  - job_name: gateway
    file_sd_configs:
      - files: [${q(options.gatewayTargetsFile)}]
        refresh_interval: 5s
  - job_name: alertmanager
    static_configs:
      - targets: [${q(`127.0.0.1:${options.alertmanagerPort}`)}]
`;
}

/** Writes the gateways' targets in Prometheus's file discovery format, atomically. */
export function writeGatewayTargets(file: string, gateways: readonly GatewayTarget[]) {
  const body = JSON.stringify(
    [{ targets: gateways.map((g) => `${g.host}:${g.port}`), labels: {} }],
    null,
    2,
  );
  const partial = `${file}.partial`;
  writeFileSync(partial, `${body}\n`);
  renameSync(partial, file);
}

export interface MonitoringOptions {
  path: string;
  dataDir: string;
  logDir: string;
  repoRoot: string;
  env: NodeJS.ProcessEnv;
  apiPort: number;
  prometheusPort: number;
  alertmanagerPort: number;
  gateways: readonly GatewayTarget[];
}

export interface Monitoring {
  children: ManagedChild[];
  prometheusUrl: string;
  alertmanagerUrl: string;
  /** The fleet changed: Prometheus picks the new targets up within 5 s. */
  setGateways(gateways: readonly GatewayTarget[]): void;
}

/**
 * Runs Debian's Prometheus and Alertmanager against the local cluster, data
 * under `<data dir>/prometheus` and `<data dir>/alertmanager`, both on
 * 127.0.0.1. Alertmanager uses the repository's default configuration (sends
 * nothing anywhere).
 */
export async function startMonitoring(options: MonitoringOptions): Promise<Monitoring> {
  const prometheus = findExecutable('prometheus', options.path);
  const alertmanager =
    findExecutable('prometheus-alertmanager', options.path) ??
    findExecutable('alertmanager', options.path);
  if (!prometheus || !alertmanager) throw new Error(NO_PROMETHEUS_HELP);

  const promDir = join(options.dataDir, 'prometheus');
  const amDir = join(options.dataDir, 'alertmanager');
  mkdirSync(promDir, { recursive: true });
  mkdirSync(amDir, { recursive: true });
  const targetsFile = join(promDir, 'gateways.json');
  writeGatewayTargets(targetsFile, options.gateways);
  const configFile = join(promDir, 'prometheus.yml');
  writeFileSync(
    configFile,
    prometheusConfig({
      apiPort: options.apiPort,
      gatewayTargetsFile: targetsFile,
      alertmanagerPort: options.alertmanagerPort,
      rulesDir: join(options.repoRoot, 'infra/prometheus/rules'),
    }),
  );

  const children: ManagedChild[] = [];
  const started = async (child: ManagedChild, url: string, what: string) => {
    children.push(child);
    try {
      await waitForHttp(url, { abort: child.exited, what, timeoutMs: 30_000 });
    } catch (err) {
      await Promise.all(children.map((c) => c.stop('SIGTERM', 5_000)));
      throw new Error(`${(err as Error).message}\n${tailOf(child.logFile)}`);
    }
  };

  const alertmanagerUrl = `http://127.0.0.1:${options.alertmanagerPort}`;
  await started(
    startChild({
      name: 'alertmanager',
      command: alertmanager,
      args: [
        `--config.file=${join(options.repoRoot, 'infra/alertmanager/alertmanager.yml')}`,
        `--storage.path=${amDir}`,
        `--web.listen-address=127.0.0.1:${options.alertmanagerPort}`,
        '--cluster.listen-address=',
      ],
      env: options.env,
      cwd: amDir,
      logFile: join(options.logDir, 'alertmanager.log'),
    }),
    `${alertmanagerUrl}/-/ready`,
    'Alertmanager',
  );

  const prometheusUrl = `http://127.0.0.1:${options.prometheusPort}`;
  await started(
    startChild({
      name: 'prometheus',
      command: prometheus,
      args: [
        `--config.file=${configFile}`,
        `--storage.tsdb.path=${join(promDir, 'data')}`,
        '--storage.tsdb.retention.time=2d',
        `--web.listen-address=127.0.0.1:${options.prometheusPort}`,
      ],
      env: options.env,
      cwd: promDir,
      logFile: join(options.logDir, 'prometheus.log'),
    }),
    `${prometheusUrl}/-/ready`,
    'Prometheus',
  );

  return {
    children,
    prometheusUrl,
    alertmanagerUrl,
    setGateways: (gateways) => writeGatewayTargets(targetsFile, gateways),
  };
}
