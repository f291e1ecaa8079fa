import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat times. */
const ticksPerSec = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

interface StatLine {
  ppid: number;
  cpuTicks: number;
}

function readStat(pid: number): StatLine | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may contain spaces and parentheses: split after the last ')'.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return {
      ppid: Number(fields[1]),
      cpuTicks: Number(fields[11]) + Number(fields[12]),
    };
  } catch {
    return undefined;
  }
}

function readRssBytes(pid: number): number {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** `pid` and every descendant (PostgreSQL backends, for instance). */
function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    const stat = readStat(pid);
    if (!stat) continue;
    const list = children.get(stat.ppid) ?? [];
    list.push(pid);
    children.set(stat.ppid, list);
  }
  const out: number[] = [];
  const stack = [root];
  while (stack.length > 0) {
    const pid = stack.pop() as number;
    out.push(pid);
    stack.push(...(children.get(pid) ?? []));
  }
  return out;
}

/** CPU seconds and RSS of a process (or its whole tree) at one instant. */
export interface ProcSample {
  at: number;
  cpuSec: number;
  rssBytes: number;
}

export function sampleProcess(pid: number, tree: boolean): ProcSample {
  const pids = tree ? processTree(pid) : [pid];
  let ticks = 0;
  let rss = 0;
  for (const p of pids) {
    ticks += readStat(p)?.cpuTicks ?? 0;
    rss += readRssBytes(p);
  }
  return { at: Date.now(), cpuSec: ticks / ticksPerSec, rssBytes: rss };
}

/** Reads a Prometheus text page into `name → value`, summing series of one name. */
export function parsePrometheus(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (!match?.[1] || match[3] === undefined) continue;
    const value = Number(match[3]);
    if (!Number.isFinite(value)) continue;
    out.set(match[1], (out.get(match[1]) ?? 0) + value);
  }
  return out;
}

/**
 * The metrics token of the gateways this bench starts (production mode refuses
 * to run them with open metrics); the API's `/metrics` ignores it.
 */
export const benchMetricsToken = randomBytes(24).toString('base64url');

export async function scrapeMetrics(url: string): Promise<Map<string, number>> {
  const response = await fetch(`${url}/metrics`, {
    headers: { authorization: `Bearer ${benchMetricsToken}` },
    signal: AbortSignal.timeout(5_000),
  });
  return parsePrometheus(await response.text());
}

/** Busy and total CPU seconds of the whole machine (first line of /proc/stat). */
export function sampleSystem(): { busySec: number; totalSec: number } {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
    const values = line.trim().split(/\s+/).slice(1).map(Number);
    const total = values.reduce((a, b) => a + b, 0);
    // idle + iowait
    const idle = (values[3] ?? 0) + (values[4] ?? 0);
    return { busySec: (total - idle) / ticksPerSec, totalSec: total / ticksPerSec };
  } catch {
    return { busySec: 0, totalSec: 0 };
  }
}
