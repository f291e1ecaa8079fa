import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, terminate } from './process-control.ts';

/** Debian's `prometheus` package puts the server here. */
export const PROMETHEUS_BIN = process.env.PROMETHEUS_BIN ?? '/usr/bin/prometheus';

/** One alerting rule as Prometheus' rule files write it. */
export interface PrometheusRule {
  alert: string;
  expr: string;
  /** How long the expression must hold before the alert fires (pending until then). @default '0s' */
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface PrometheusServer {
  /** e.g. `http://127.0.0.1:41234` */
  readonly url: string;
  readonly port: number;
  /** Stops the process (SIGTERM, then SIGKILL) and removes its data directory. */
  stop(): Promise<void>;
}

/**
 * Starts a real Prometheus on a free loopback port with the given alerting
 * rules, evaluated every second, and no scrape targets; resolves once it is
 * ready. Its TSDB lives in a temporary directory removed by `stop()`.
 */
export async function startPrometheus(rules: PrometheusRule[]): Promise<PrometheusServer> {
  if (!existsSync(PROMETHEUS_BIN)) {
    throw new Error(`${PROMETHEUS_BIN} is missing: install Debian's prometheus package`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'prometheus-test-'));
  // JSON is YAML: no YAML writer needed.
  writeFileSync(
    join(dir, 'rules.yml'),
    JSON.stringify({ groups: [{ name: 'test', interval: '1s', rules }] }),
  );
  writeFileSync(
    join(dir, 'prometheus.yml'),
    JSON.stringify({
      global: { evaluation_interval: '1s', scrape_interval: '15s' },
      rule_files: [join(dir, 'rules.yml')],
    }),
  );
  const port = await freePort();
  let output = '';
  const child: ChildProcess = spawn(
    PROMETHEUS_BIN,
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  child.stderr?.on('data', (chunk) => {
    output = (output + String(chunk)).slice(-4000);
  });
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    await terminate(child);
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`prometheus exited with ${child.exitCode}:\n${output}`);
    }
    const ready = await fetch(`${url}/-/ready`).then(
      (res) => res.ok,
      () => false,
    );
    if (ready) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`prometheus was not ready within 20 s:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { url, port, stop };
}
