import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Progress } from './progress.ts';
import { renderSoakSvg } from './report/soak-svg.ts';
import { formatTable } from './report/table.ts';
import { parseSoakOptions, type SoakOptions, soakUsage } from './soak/options.ts';
import { runSoak, type SoakResult } from './soak/run-soak.ts';
import type { Trend } from './stats/trend.ts';

const defaultResults = fileURLToPath(new URL('../results', import.meta.url));

let options: SoakOptions;
try {
  const parsed = parseSoakOptions(process.argv.slice(2), defaultResults);
  if (parsed === 'help') {
    console.log(soakUsage);
    process.exit(0);
  }
  options = parsed;
} catch (err) {
  console.error(err instanceof Error ? err.message : err);
  console.error(soakUsage);
  process.exit(2);
}

// SIGINT or the watchdog ends the steady load and stops every child; a second SIGINT, or a
// cleanup that overstays, exits at once.
const stop = new AbortController();
const hardExit = (why: string) => {
  console.error(why);
  process.exit(1);
};
const requestStop = (why: string) => {
  if (stop.signal.aborted) hardExit(`${why} again; exiting without cleanup`);
  console.error(`${why}: stopping the soak and its processes`);
  stop.abort();
  setTimeout(() => hardExit('cleanup took over 90 s; exiting'), 90_000).unref();
};
process.on('SIGINT', () => requestStop('SIGINT'));
process.on('SIGTERM', () => requestStop('SIGTERM'));
const plannedSec = options.minutes * 60 + options.warmupSec + options.connections / 100 + 300;
setTimeout(
  () => requestStop(`soak exceeded ${Math.round(plannedSec)} s`),
  plannedSec * 1000,
).unref();

const v = (x: number | null | undefined) => (x === null || x === undefined ? '—' : x);
const trendRow = (label: string, t: Trend | null) =>
  t
    ? [label, t.first, t.last, t.change, v(t.changePerHour), v(t.slopePerHour)]
    : [label, '—', '—', '—', '—', '—'];

function formatSoak(r: SoakResult): string {
  const first = r.samples[0];
  const last = r.samples.at(-1);
  const out = [
    `Dynapharm Realtime soak — ${r.connections.toLocaleString('en-US')} connections, ${r.options.rate} writes/s, ${r.samples.length} windows of ${r.options.sampleSec} s over ${last ? Math.round(last.atSec) : 0} s${r.interrupted ? ' [INTERRUPTED]' : ''}; ${r.machine.cpus} CPUs, Node ${r.machine.node}, load ${r.machine.loadAverage.start.toFixed(1)} → ${r.machine.loadAverage.end.toFixed(1)}`,
    '',
    `Memory growth (MB; first window after warm-up at ${first?.atSec ?? '—'} s vs last at ${last?.atSec ?? '—'} s; per hour = change ÷ span; slope = least squares over every window)`,
    formatTable(
      [
        'process',
        'RSS first',
        'last',
        'change',
        '/h',
        'slope /h',
        'heap first',
        'last',
        'change',
        '/h',
        'slope /h',
      ],
      r.memory.map((m) => {
        const rss = trendRow(m.name, m.rssMB);
        const heap = trendRow('', m.heapUsedMB).slice(1);
        return [...rss, ...heap];
      }),
    ),
    '',
    'Latency drift (commit → client, ms, per window)',
    formatTable(
      ['percentile', 'first', 'last', 'change', '/h', 'slope /h'],
      [trendRow('p50', r.latencyDrift.p50Ms), trendRow('p99', r.latencyDrift.p99Ms)],
    ),
    '',
    `Delivery: lost ${r.lost}, duplicates ${r.duplicates}, unexpected ${r.unexpected}, disconnects ${r.disconnects}; writes ok ${r.writes.ok}, failed ${r.writes.failed}, shed ${r.writes.shed}; connect failures ${r.connectFailures}`,
  ];
  return out.join('\n');
}

const progress = new Progress();
try {
  await mkdir(options.resultsDir, { recursive: true });
  const result = await runSoak(options, progress, stop.signal);
  await writeFile(join(options.resultsDir, 'soak.json'), `${JSON.stringify(result, null, 2)}\n`);
  await writeFile(join(options.resultsDir, 'soak.svg'), renderSoakSvg(result));
  console.log(`\n${formatSoak(result)}`);
  console.log(`\nwrote ${join(options.resultsDir, 'soak.json')} and soak.svg`);
  process.exit(result.interrupted ? 130 : 0);
} catch (err) {
  progress.stopTicking();
  console.error('soak failed:', err instanceof Error ? (err.stack ?? err.message) : err);
  process.exit(1);
}
