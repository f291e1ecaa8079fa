import { type ProcSample, sampleProcess, sampleSystem, scrapeMetrics } from './proc-stats.ts';

/** A process whose CPU and memory a phase reports. */
export interface Watched {
  name: string;
  pid: number;
  /** Sum over descendants too (PostgreSQL's backends). */
  tree?: boolean;
  /** Base URL whose `/metrics` has prom-client's default metrics. */
  metricsUrl?: string;
}

/** One process over one phase. */
export interface ProcessReport {
  name: string;
  /** Share of one core, averaged over the phase (200 = both cores of this machine). */
  cpuPercent: number;
  rssMB: number;
  /** From prom-client (`nodejs_eventloop_lag_*`), since the phase began. */
  eventLoopP99Ms?: number;
  eventLoopMaxMs?: number;
  heapUsedMB?: number;
}

const mb = (bytes: number) => Math.round(bytes / 1024 / 102.4) / 10;
const round1 = (v: number) => Math.round(v * 10) / 10;

/**
 * Samples /proc at the start and end of a phase. The start scrape of `/metrics`
 * also resets prom-client's event-loop histogram, so the end scrape covers the
 * phase alone.
 */
export class ProcessMonitor {
  private watched: Watched[] = [];
  private start = new Map<string, ProcSample>();
  private system = sampleSystem();
  private startedAt = Date.now();

  set(watched: Watched[]) {
    this.watched = watched.filter((w) => w.pid > 0);
  }

  async begin() {
    this.start.clear();
    this.system = sampleSystem();
    this.startedAt = Date.now();
    await Promise.all(
      this.watched.map(async (w) => {
        if (w.metricsUrl) await scrapeMetrics(w.metricsUrl).catch(() => undefined);
        this.start.set(w.name, sampleProcess(w.pid, w.tree ?? false));
      }),
    );
  }

  async end(): Promise<ProcessReport[]> {
    const system = sampleSystem();
    const seconds = Math.max((Date.now() - this.startedAt) / 1000, 0.001);
    const reports = await Promise.all(
      this.watched.map(async (w): Promise<ProcessReport> => {
        const now = sampleProcess(w.pid, w.tree ?? false);
        const before = this.start.get(w.name) ?? now;
        const seconds = Math.max((now.at - before.at) / 1000, 0.001);
        const report: ProcessReport = {
          name: w.name,
          cpuPercent: round1(((now.cpuSec - before.cpuSec) / seconds) * 100),
          rssMB: mb(now.rssBytes),
        };
        if (w.metricsUrl) {
          const m = await scrapeMetrics(w.metricsUrl).catch(() => undefined);
          const p99 = m?.get('nodejs_eventloop_lag_p99_seconds');
          const max = m?.get('nodejs_eventloop_lag_max_seconds');
          const heap = m?.get('nodejs_heap_size_used_bytes');
          if (p99 !== undefined) report.eventLoopP99Ms = round1(p99 * 1000);
          if (max !== undefined) report.eventLoopMaxMs = round1(max * 1000);
          if (heap !== undefined) report.heapUsedMB = mb(heap);
        }
        return report;
      }),
    );
    // Everything else on the machine (other users' builds and tests share these cores).
    const machine = ((system.busySec - this.system.busySec) / seconds) * 100;
    const ours = reports.reduce((n, r) => n + r.cpuPercent, 0);
    reports.push({ name: 'machine total', cpuPercent: round1(machine), rssMB: 0 });
    reports.push({
      name: '(not the bench)',
      cpuPercent: round1(Math.max(0, machine - ours)),
      rssMB: 0,
    });
    return reports;
  }
}
