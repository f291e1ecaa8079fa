import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const prometheusDir = join(root, 'infra/prometheus');
const alertmanagerDir = join(root, 'infra/alertmanager');
const alertsFile = join(prometheusDir, 'rules/alerts.yml');
const testsDir = join(prometheusDir, 'tests');

const packageOf: Record<string, string> = {
  promtool: 'prometheus',
  amtool: 'prometheus-alertmanager',
};

/** Runs a Prometheus tool; a missing tool is a failure naming the Debian package. */
function tool(name: 'promtool' | 'amtool', args: string[], cwd = root) {
  const result = spawnSync(name, args, { cwd, encoding: 'utf8', timeout: 110_000 });
  if (result.error && (result.error as NodeJS.ErrnoException).code === 'ENOENT') {
    throw new Error(
      `${name} is not installed: apt-get install -y --no-install-recommends ${packageOf[name]}`,
    );
  }
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}`;
  return { status: result.status, output };
}

const scratch = mkdtempSync(join(tmpdir(), 'dynapharm-monitoring-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** `- alert: Name` blocks of alerts.yml, each with its own text. */
function alertBlocks(): Map<string, string> {
  const text = readFileSync(alertsFile, 'utf8');
  const blocks = new Map<string, string>();
  const parts = text.split(/^ {6}- alert: /m).slice(1);
  for (const part of parts) {
    const name = part.slice(0, part.indexOf('\n')).trim();
    blocks.set(name, part);
  }
  return blocks;
}

/** Every `alert_rule_test` case of the unit tests: alert name and whether it expects alerts. */
function ruleTestCases(): { alertname: string; firing: boolean }[] {
  const cases: { alertname: string; firing: boolean }[] = [];
  for (const file of readdirSync(testsDir).filter((f) => f.endsWith('.yml'))) {
    const text = readFileSync(join(testsDir, file), 'utf8');
    const pattern = /- alertname: (\S+)\n\s+eval_time: \S+\n\s+exp_alerts:(.*)\n/g;
    for (const match of text.matchAll(pattern)) {
      cases.push({ alertname: match[1] ?? '', firing: (match[2] ?? '').trim() !== '[]' });
    }
  }
  return cases;
}

describe('Prometheus configuration', () => {
  it('passes promtool check config, rule files included', () => {
    // The gateways' bearer token file exists only in the container; a copy of
    // the directory points at a stand-in so promtool can check everything else.
    const dir = join(scratch, 'prometheus');
    cpSync(prometheusDir, dir, { recursive: true });
    const token = join(scratch, 'metrics-token');
    writeFileSync(token, 'x'.repeat(32));
    const config = readFileSync(join(dir, 'prometheus.yml'), 'utf8');
    expect(config).toContain('credentials_file: /prometheus/metrics-token');
    writeFileSync(
      join(dir, 'prometheus.yml'),
      config.replaceAll('/prometheus/metrics-token', token),
    );
    const { status, output } = tool('promtool', ['check', 'config', join(dir, 'prometheus.yml')]);
    expect(output).toContain('SUCCESS');
    expect(status, output).toBe(0);
  });

  it('passes promtool check rules', () => {
    const files = readdirSync(join(prometheusDir, 'rules')).map((f) => `rules/${f}`);
    const { status, output } = tool('promtool', ['check', 'rules', ...files], prometheusDir);
    expect(status, output).toBe(0);
    expect(output).not.toMatch(/FAILED/);
  });

  it('passes the alerts’ unit tests (promtool test rules)', () => {
    const files = readdirSync(testsDir)
      .filter((f) => f.endsWith('.yml'))
      .map((f) => `tests/${f}`);
    expect(files.length).toBeGreaterThan(0);
    const { status, output } = tool('promtool', ['test', 'rules', ...files], prometheusDir);
    expect(output, output).not.toMatch(/FAILED/);
    expect(status, output).toBe(0);
  });

  it('gives every alert a summary, a description, a runbook, firing and quiet tests', () => {
    const blocks = alertBlocks();
    expect(blocks.size).toBeGreaterThan(10);
    const cases = ruleTestCases();
    const operations = readFileSync(join(root, 'docs/operations.md'), 'utf8');
    const problems: string[] = [];
    for (const [name, block] of blocks) {
      for (const field of ['summary', 'description', 'runbook']) {
        if (!new RegExp(`^ {10}${field}: `, 'm').test(block)) problems.push(`${name}: no ${field}`);
      }
      if (!/^ {10}severity: (critical|warning)$/m.test(block))
        problems.push(`${name}: no severity`);
      const anchor = name.toLowerCase();
      if (!block.includes(`runbook: docs/operations.md#${anchor}\n`)) {
        problems.push(`${name}: runbook is not docs/operations.md#${anchor}`);
      }
      if (!new RegExp(`^#### ${name}$`, 'm').test(operations)) {
        problems.push(`${name}: no "#### ${name}" runbook section in docs/operations.md`);
      }
      const own = cases.filter((c) => c.alertname === name);
      if (!own.some((c) => c.firing)) problems.push(`${name}: no firing unit test`);
      if (!own.some((c) => !c.firing)) problems.push(`${name}: no quiet unit test`);
    }
    for (const c of cases) {
      if (!blocks.has(c.alertname)) problems.push(`unit test of unknown alert ${c.alertname}`);
    }
    expect(problems).toEqual([]);
  });
});

describe('Alertmanager configuration', () => {
  it.each(readdirSync(alertmanagerDir).filter((f) => f.endsWith('.yml')))(
    '%s passes amtool check-config',
    (file) => {
      const { status, output } = tool('amtool', ['check-config', join(alertmanagerDir, file)]);
      expect(output).toContain('SUCCESS');
      expect(status, output).toBe(0);
    },
  );

  it('sends nowhere by default: the default receiver has no integration', () => {
    const text = readFileSync(join(alertmanagerDir, 'alertmanager.yml'), 'utf8');
    const receivers = text.slice(text.indexOf('\nreceivers:'));
    expect(receivers).toMatch(/- name: operators\s*$/);
    expect(receivers).not.toMatch(/_configs:/);
  });
});
