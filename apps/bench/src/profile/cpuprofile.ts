import { readFile } from 'node:fs/promises';

interface CpuProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface CpuProfile {
  nodes: CpuProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** One function's self time in a V8 `.cpuprofile`. */
export interface HotFunction {
  name: string;
  /** `package/file:line`, shortened. */
  where: string;
  selfMs: number;
  percent: number;
}

function shorten(url: string): string {
  if (url === '') return '(native)';
  const pnpm = /node_modules\/\.pnpm\/[^/]+\/node_modules\/(.+)$/.exec(url);
  if (pnpm?.[1]) return pnpm[1];
  const app = /\/(apps|packages)\/(.+)$/.exec(url);
  if (app?.[2]) return `${app[1]}/${app[2]}`;
  return url.replace(/^file:\/\//, '').replace(/^node:/, 'node:');
}

/**
 * Self time per function (samples × their time deltas), highest first. `(idle)`
 * and `(program)` are kept: idle time says how much headroom the process had.
 */
export function hotFunctions(profile: CpuProfile, top = 15): HotFunction[] {
  const byNode = new Map<number, CpuProfileNode>(profile.nodes.map((node) => [node.id, node]));
  const self = new Map<string, { name: string; where: string; us: number }>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const delta = profile.timeDeltas[i] ?? 0;
    total += delta;
    const frame = byNode.get(id)?.callFrame;
    if (!frame) return;
    const name = frame.functionName || '(anonymous)';
    const where = `${shorten(frame.url)}${frame.url ? `:${frame.lineNumber + 1}` : ''}`;
    const key = `${name}@${where}`;
    const entry = self.get(key) ?? { name, where, us: 0 };
    entry.us += delta;
    self.set(key, entry);
  });
  return [...self.values()]
    .sort((a, b) => b.us - a.us)
    .slice(0, top)
    .map((e) => ({
      name: e.name,
      where: e.where,
      selfMs: Math.round(e.us / 1000),
      percent: Math.round((e.us / Math.max(total, 1)) * 1000) / 10,
    }));
}

/** Self time grouped by package (`socket.io-parser`, `ws`, `pg`, `(native)`…). */
export function hotPackages(profile: CpuProfile, top = 12) {
  const byNode = new Map<number, CpuProfileNode>(profile.nodes.map((node) => [node.id, node]));
  const totals = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const delta = profile.timeDeltas[i] ?? 0;
    total += delta;
    const frame = byNode.get(id)?.callFrame;
    if (!frame) return;
    let pkg = shorten(frame.url);
    if (frame.url === '')
      pkg = frame.functionName.startsWith('(') ? frame.functionName : '(native)';
    else if (!pkg.startsWith('node:') && !pkg.startsWith('apps/') && !pkg.startsWith('packages/')) {
      pkg = pkg.startsWith('@') ? pkg.split('/').slice(0, 2).join('/') : (pkg.split('/')[0] ?? pkg);
    } else if (pkg.startsWith('node:')) pkg = 'node: (core)';
    totals.set(pkg, (totals.get(pkg) ?? 0) + delta);
  });
  return [...totals.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([name, us]) => ({ name, percent: Math.round((us / Math.max(total, 1)) * 1000) / 10 }));
}

export async function readCpuProfile(path: string): Promise<CpuProfile> {
  return JSON.parse(await readFile(path, 'utf8')) as CpuProfile;
}
