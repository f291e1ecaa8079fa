import type { BenchResult } from '../run.ts';

export const esc = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

interface Bar {
  label: string;
  value: number;
  color: string;
}

interface Group {
  name: string;
  bars: Bar[];
}

const colors = {
  ours: '#2563eb',
  sio: '#f59e0b',
  raw: '#10b981',
  bare: '#a855f7',
  plain: '#6b7280',
};

/** One panel of grouped vertical bars with a linear axis from 0. */
function panel(
  x: number,
  y: number,
  width: number,
  height: number,
  title: string,
  unit: string,
  groups: Group[],
): string {
  const max = Math.max(1, ...groups.flatMap((g) => g.bars.map((b) => b.value)));
  const top = y + 30;
  const bottom = y + height - 40;
  const plotH = bottom - top;
  const groupW = width / Math.max(groups.length, 1);
  const parts: string[] = [
    `<text x="${x}" y="${y + 14}" font-size="14" font-weight="bold">${esc(title)}</text>`,
    `<line x1="${x}" y1="${bottom}" x2="${x + width}" y2="${bottom}" stroke="#999"/>`,
  ];
  for (let i = 0; i <= 4; i++) {
    const v = (max * i) / 4;
    const yy = bottom - (plotH * i) / 4;
    parts.push(
      `<line x1="${x}" y1="${yy}" x2="${x + width}" y2="${yy}" stroke="#eee"/>`,
      `<text x="${x - 4}" y="${yy + 4}" font-size="10" text-anchor="end" fill="#666">${esc(fmt(v))}</text>`,
    );
  }
  groups.forEach((g, gi) => {
    const gx = x + gi * groupW;
    const barW = Math.min(40, (groupW - 16) / Math.max(g.bars.length, 1));
    g.bars.forEach((b, bi) => {
      const h = (plotH * b.value) / max;
      const bx = gx + 8 + bi * barW;
      parts.push(
        `<rect x="${bx}" y="${bottom - h}" width="${barW - 3}" height="${h}" fill="${b.color}"><title>${esc(`${b.label}: ${fmt(b.value)} ${unit}`)}</title></rect>`,
        `<text x="${bx + (barW - 3) / 2}" y="${bottom - h - 3}" font-size="9" text-anchor="middle">${esc(fmt(b.value))}</text>`,
      );
    });
    parts.push(
      `<text x="${gx + groupW / 2}" y="${bottom + 16}" font-size="11" text-anchor="middle">${esc(g.name)}</text>`,
    );
  });
  parts.push(
    `<text x="${x + width}" y="${y + 14}" font-size="10" text-anchor="end" fill="#666">${esc(unit)}</text>`,
  );
  return parts.join('\n');
}

export function fmt(v: number) {
  if (v >= 10_000) return `${Math.round(v / 1000)}k`;
  if (v >= 100) return String(Math.round(v));
  return String(Math.round(v * 100) / 100);
}

/** The latency percentiles and throughput bars of one run, as a standalone SVG. */
export function renderSvg(r: BenchResult): string {
  const b = r.baselines;
  const systems = [
    { label: 'ours', color: colors.ours, s: r.ours },
    { label: 'Socket.IO + Redis', color: colors.sio, s: b.socketioRedis },
    { label: 'raw ws', color: colors.raw, s: b.rawWs },
  ].filter((x) => x.s !== undefined);
  const latency: Group[] = (['p50', 'p95', 'p99'] as const).map((p) => ({
    name: p,
    bars: systems.map((x) => ({
      label: x.label,
      value: x.s?.steady.latencyMs[p] ?? 0,
      color: x.color,
    })),
  }));
  const delivered: Group[] = [
    {
      name: 'steady',
      bars: systems.map((x) => ({
        label: x.label,
        value: x.s?.steady.deliveredPerSec ?? 0,
        color: x.color,
      })),
    },
    {
      name: 'saturation',
      bars: systems.map((x) => ({
        label: x.label,
        value: x.s?.saturation?.deliveredPerSec ?? 0,
        color: x.color,
      })),
    },
  ];
  const writes: Group[] = [
    {
      name: 'writes/s',
      bars: [
        { label: 'API', value: r.apiWritesPerSec, color: colors.ours },
        { label: 'bare Express + pg', value: b.bareHttpInsertsPerSec ?? 0, color: colors.bare },
        { label: 'plain INSERT', value: b.plainInsertsPerSec ?? 0, color: colors.plain },
      ],
    },
  ];
  const width = 1000;
  const height = 420;
  const legend = [
    ...systems.map((x) => ({ label: x.label, color: x.color })),
    { label: 'bare Express + pg', color: colors.bare },
    { label: 'plain INSERT', color: colors.plain },
  ]
    .map(
      (l, i) =>
        `<rect x="${40 + i * 170}" y="${height - 22}" width="12" height="12" fill="${l.color}"/><text x="${58 + i * 170}" y="${height - 12}" font-size="12">${esc(l.label)}</text>`,
    )
    .join('\n');
  const subtitle = `${r.connections.toLocaleString('en-US')} connections · ${r.branches} rooms · ${r.writesPerSec} writes/s · payload ${r.options.payloadBytes} B · ${r.machine.cpus} CPUs · ${r.finishedAt.slice(0, 16).replace('T', ' ')} UTC`;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" role="img">
<title>Dynapharm Realtime benchmark: ${esc(subtitle)}</title>
<rect width="100%" height="100%" fill="#fff"/>
<text x="20" y="24" font-size="16" font-weight="bold">Dynapharm Realtime — proof under load</text>
<text x="20" y="42" font-size="12" fill="#444">${esc(subtitle)}</text>
${panel(60, 60, 360, 310, 'commit → client latency (steady)', 'ms', latency)}
${panel(480, 60, 320, 310, 'delivered messages/s', 'msg/s', delivered)}
${panel(860, 60, 120, 310, 'writes/s', '/s', writes)}
${legend}
</svg>
`;
}
