import type { ProcessReport } from '../infra/monitor.ts';
import type { BenchResult, FanoutSummary } from '../run.ts';
import type { TargetCheck } from '../stats/ratios.ts';

/** Left-aligned first column, right-aligned others, as plain text. */
export function formatTable(header: string[], rows: (string | number)[][]): string {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, c) => Math.max(...cells.map((r) => (r[c] ?? '').length)));
  const line = (r: string[]) =>
    r
      .map((cell, c) => (c === 0 ? cell.padEnd(widths[c] ?? 0) : cell.padStart(widths[c] ?? 0)))
      .join('  ');
  return [
    line(header),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...cells.slice(1).map(line),
  ].join('\n');
}

const n = (v: number | null | undefined) =>
  v === null || v === undefined ? '—' : v.toLocaleString('en-US');

function fanoutRow(name: string, f: FanoutSummary | undefined) {
  if (!f) return [name, '—', '—', '—', '—', '—', '—', '—', '—'];
  return [
    name,
    n(f.offeredEventsPerSec),
    f.latencyMs.p50,
    f.latencyMs.p95,
    f.latencyMs.p99,
    f.latencyMs.max,
    n(f.deliveredPerSec),
    n(f.lost),
    n(f.duplicates),
  ];
}

function processRows(list: ProcessReport[]) {
  return list.map((p) => [
    p.name,
    p.cpuPercent,
    p.rssMB,
    p.eventLoopP99Ms ?? '—',
    p.eventLoopMaxMs ?? '—',
    p.heapUsedMB ?? '—',
  ]);
}

const verdictOf = (check: TargetCheck) =>
  check.met === null ? 'n/a' : check.met ? 'met' : 'MISSED';

/** `0.42×` — how many times the baseline's figure ours is. */
const times = (share: number | null | undefined) =>
  share === null || share === undefined ? '—' : `${share}×`;

function ratioRow(check: TargetCheck) {
  return [
    check.target,
    n(check.measured),
    n(check.bound),
    check.ratio ?? '—',
    times(check.share),
    verdictOf(check),
  ];
}

/** The "API ÷ this" and target cells of a baseline's row in the writes table. */
export function writesVersus(check: TargetCheck) {
  const sign = check.kind === 'at-least' ? '≥' : '≤';
  return [times(check.share), `${sign} ${check.fraction ?? 1}× ${verdictOf(check)}`];
}

/** The whole report as text for stdout. */
export function formatReport(r: BenchResult): string {
  const fanHeader = [
    'system',
    'events/s',
    'p50 ms',
    'p95 ms',
    'p99 ms',
    'max ms',
    'delivered/s',
    'lost',
    'dup',
  ];
  const b = r.baselines;
  const out: string[] = [];
  out.push(
    `Dynapharm Realtime bench — ${r.connections.toLocaleString('en-US')} connections, ${r.branches} rooms of ~${r.roomSize}, ${r.writesPerSec} writes/s, payload ${r.options.payloadBytes} B, ${r.machine.cpus} CPUs (${r.machine.cpuModel}), Node ${r.machine.node}${r.profiled ? ' [PROFILED: figures include --cpu-prof overhead]' : ''}`,
  );
  out.push('', 'Steady load (commit → client latency; offered rate identical for every system)');
  out.push(
    formatTable(fanHeader, [
      fanoutRow('ours (API → relay → gateways)', r.ours.steady),
      fanoutRow('bare Socket.IO + Redis adapter', b.socketioRedis?.steady),
      fanoutRow('raw ws', b.rawWs?.steady),
    ]),
  );
  out.push(
    '',
    `Saturation (our API at ${r.options.concurrency} closed-loop writers; baselines offered the same event rate)`,
  );
  out.push(
    formatTable(fanHeader, [
      fanoutRow('ours (API → relay → gateways)', r.ours.saturation),
      fanoutRow('bare Socket.IO + Redis adapter', b.socketioRedis?.saturation),
      fanoutRow('raw ws', b.rawWs?.saturation),
    ]),
  );
  const w = r.steadyWrites;
  if (w.shed > 0 || w.failed > 0) {
    out.push(
      '',
      `Steady phase: the API took ${n(w.ok)} of ${n(w.offered)} offered writes (${n(w.shed)} shed at 1024 in flight, ${n(w.failed)} failed); our events/s above is what it committed.`,
    );
  }
  out.push('', 'Writes');
  out.push(
    formatTable(
      ['path', 'per second', 'response p50 ms', 'p99 ms', 'API ÷ this', 'target'],
      [
        [
          `API POST /api/clients (${r.options.concurrency} writers)`,
          n(r.apiWritesPerSec),
          r.apiResponseMs.saturation.p50,
          r.apiResponseMs.saturation.p99,
          '—',
          '—',
        ],
        [
          `bare Express + pg POST (${r.options.concurrency} writers)`,
          n(b.bareHttpInsertsPerSec),
          b.bareHttpResponseMs?.p50 ?? '—',
          b.bareHttpResponseMs?.p99 ?? '—',
          ...writesVersus(r.ratios.apiWritesVsBareHttp),
        ],
        [
          `plain single-row INSERT (${r.options.concurrency} writers)`,
          n(b.plainInsertsPerSec),
          '—',
          '—',
          ...writesVersus(r.ratios.apiWritesVsPlainInserts),
        ],
      ],
    ),
  );
  out.push(
    '',
    `Connections: ramp ${n(r.connectionRampPerSec)}/s; gateway heap ${n(r.heapBytesPerConnection)} B/connection (${n(r.heapBytesPerSubscriber)} B per subscribed one); gateways counted ${n(r.gatewayDeliveriesPerSec)} deliveries/s in the steady phase`,
  );
  out.push(
    '',
    'Processes during our steady phase (CPU % of one core; event loop from prom-client)',
  );
  out.push(
    formatTable(
      ['process', 'CPU %', 'RSS MB', 'loop p99 ms', 'loop max ms', 'heap MB'],
      processRows(r.ours.processes.steady),
    ),
  );
  if (r.ours.processes.saturation) {
    out.push('', 'Processes during our saturation phase');
    out.push(
      formatTable(
        ['process', 'CPU %', 'RSS MB', 'loop p99 ms', 'loop max ms', 'heap MB'],
        processRows(r.ours.processes.saturation),
      ),
    );
  }
  if (b.bareHttpProcesses) {
    out.push('', 'Processes during the bare Express + pg phase');
    out.push(
      formatTable(['process', 'CPU %', 'RSS MB', '', '', ''], processRows(b.bareHttpProcesses)),
    );
  }
  for (const [name, sys] of [
    ['bare Socket.IO + Redis adapter', b.socketioRedis],
    ['raw ws', b.rawWs],
  ] as const) {
    if (!sys) continue;
    out.push('', `Processes during the ${name} steady phase`);
    out.push(
      formatTable(['process', 'CPU %', 'RSS MB', '', '', ''], processRows(sys.processes.steady)),
    );
  }
  out.push('', 'Targets (docs/architecture.md, performance)');
  out.push(
    formatTable(
      ['target', 'measured', 'bound', 'ratio', 'vs baseline', 'verdict'],
      Object.values(r.ratios).map(ratioRow),
    ),
  );
  return out.join('\n');
}
