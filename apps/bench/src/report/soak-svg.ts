import type { SoakResult } from '../soak/run-soak.ts';
import { esc, fmt } from './svg.ts';

interface Series {
  label: string;
  color: string;
  points: [number, number][];
}

const palette = [
  '#2563eb',
  '#f59e0b',
  '#10b981',
  '#ef4444',
  '#8b5cf6',
  '#6b7280',
  '#ec4899',
  '#14b8a6',
];

/** One panel of lines over minutes, y axis from 0. */
function lines(x: number, y: number, w: number, h: number, title: string, series: Series[]) {
  const all = series.flatMap((s) => s.points);
  const maxT = Math.max(1, ...all.map((p) => p[0]));
  const maxV = Math.max(1, ...all.map((p) => p[1]));
  const top = y + 24;
  const bottom = y + h - 20;
  const sx = (t: number) => x + (w * t) / maxT;
  const sy = (v: number) => bottom - ((bottom - top) * v) / maxV;
  const parts = [
    `<text x="${x}" y="${y + 14}" font-size="13" font-weight="bold">${esc(title)}</text>`,
    `<line x1="${x}" y1="${bottom}" x2="${x + w}" y2="${bottom}" stroke="#999"/>`,
    `<text x="${x + w}" y="${bottom + 14}" font-size="10" text-anchor="end" fill="#666">${esc(`${fmt(maxT)} min`)}</text>`,
  ];
  for (let i = 1; i <= 4; i++) {
    const v = (maxV * i) / 4;
    parts.push(
      `<line x1="${x}" y1="${sy(v)}" x2="${x + w}" y2="${sy(v)}" stroke="#eee"/>`,
      `<text x="${x - 4}" y="${sy(v) + 4}" font-size="10" text-anchor="end" fill="#666">${esc(fmt(v))}</text>`,
    );
  }
  series.forEach((s, i) => {
    const d = s.points.map(([t, v]) => `${sx(t).toFixed(1)},${sy(v).toFixed(1)}`).join(' ');
    parts.push(
      `<polyline points="${d}" fill="none" stroke="${s.color}" stroke-width="1.5"><title>${esc(s.label)}</title></polyline>`,
      `<rect x="${x + w + 10}" y="${top + i * 16}" width="10" height="10" fill="${s.color}"/>`,
      `<text x="${x + w + 24}" y="${top + i * 16 + 9}" font-size="11">${esc(s.label)}</text>`,
    );
  });
  return parts.join('\n');
}

/** RSS, V8 heap and latency of a soak over time, as a standalone SVG. */
export function renderSoakSvg(r: SoakResult): string {
  const names = r.memory.map((m) => m.name);
  const series = (pick: (s: SoakResult['samples'][number], name: string) => number | undefined) =>
    names
      .map((name, i) => ({
        label: name,
        color: palette[i % palette.length] ?? '#000',
        points: r.samples.flatMap((s): [number, number][] => {
          const v = pick(s, name);
          return v === undefined ? [] : [[s.atSec / 60, v]];
        }),
      }))
      .filter((s) => s.points.length > 0);
  const proc = (s: SoakResult['samples'][number], name: string) =>
    s.processes.find((p) => p.name === name);
  const latency: Series[] = [
    {
      label: 'p50',
      color: palette[0] ?? '#000',
      points: r.samples.map((s) => [s.atSec / 60, s.latencyMs.p50]),
    },
    {
      label: 'p99',
      color: palette[3] ?? '#000',
      points: r.samples.map((s) => [s.atSec / 60, s.latencyMs.p99]),
    },
  ];
  const width = 1000;
  const height = 820;
  const subtitle = `${r.connections.toLocaleString('en-US')} connections · ${r.options.rate} writes/s · ${r.options.minutes} min, a sample every ${r.options.sampleSec} s · ${r.finishedAt.slice(0, 16).replace('T', ' ')} UTC`;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" role="img">
<title>Dynapharm Realtime soak: ${esc(subtitle)}</title>
<rect width="100%" height="100%" fill="#fff"/>
<text x="20" y="24" font-size="16" font-weight="bold">Dynapharm Realtime — soak</text>
<text x="20" y="42" font-size="12" fill="#444">${esc(subtitle)}</text>
${lines(
  60,
  60,
  760,
  250,
  'RSS per process (MB)',
  series((s, n) => proc(s, n)?.rssMB),
)}
${lines(
  60,
  320,
  760,
  240,
  'V8 heap used (MB)',
  series((s, n) => proc(s, n)?.heapUsedMB),
)}
${lines(60, 570, 760, 240, 'commit → client latency per window (ms)', latency)}
</svg>
`;
}
