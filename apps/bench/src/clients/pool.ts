import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { type LatencySummary, mergeHistograms, summarize } from '../stats/histogram.ts';
import type { ClientKind, FromWorker, Target, ToWorker, WorkerPhaseResult } from './protocol.ts';

const workerPath = fileURLToPath(new URL('./worker.js', import.meta.url));

/** The merged measurements of every worker for one phase. */
export interface PhaseMeasurement {
  latencyMs: LatencySummary;
  received: number;
  lost: number;
  duplicates: number;
  unexpected: number;
  disconnects: number;
  /** Epoch ms of the last event any worker received. */
  lastAt: number;
  clientEventLoopP99Ms: number;
  clientEventLoopMaxMs: number;
}

function merge(results: WorkerPhaseResult[]): PhaseMeasurement {
  const sum = (pick: (r: WorkerPhaseResult) => number) => results.reduce((n, r) => n + pick(r), 0);
  return {
    latencyMs: summarize(mergeHistograms(results.map((r) => r.histogram))),
    received: sum((r) => r.received),
    lost: sum((r) => r.lost),
    duplicates: sum((r) => r.duplicates),
    unexpected: sum((r) => r.unexpected),
    disconnects: sum((r) => r.disconnects),
    lastAt: Math.max(0, ...results.map((r) => r.lastAt)),
    clientEventLoopP99Ms: Math.max(0, ...results.map((r) => r.eventLoopP99Ms)),
    clientEventLoopMaxMs: Math.max(0, ...results.map((r) => r.eventLoopMaxMs)),
  };
}

interface Worker {
  child: ChildProcess;
  connected: number;
  received: number;
  waiters: Map<FromWorker['type'], (message: FromWorker) => void>;
}

/**
 * The client side of the bench: `size` worker processes, each holding a share
 * of the connections (dealt round-robin, so every worker has every gateway
 * and room). Everything is bounded: a worker that does not answer within
 * `timeoutMs` fails the call.
 */
export class ClientPool {
  private readonly workers: Worker[] = [];

  private constructor() {}

  static async start(size: number): Promise<ClientPool> {
    const pool = new ClientPool();
    for (let i = 0; i < size; i++) {
      const child = fork(workerPath, [], {
        serialization: 'advanced',
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        execArgv: ['--max-old-space-size=4096'],
      });
      const worker: Worker = { child, connected: 0, received: 0, waiters: new Map() };
      child.on('message', (message: FromWorker) => {
        if (message.type === 'tick') {
          worker.connected = message.connected;
          worker.received = message.received;
          return;
        }
        const waiter = worker.waiters.get(message.type);
        worker.waiters.delete(message.type);
        waiter?.(message);
      });
      pool.workers.push(worker);
    }
    await Promise.all(pool.workers.map((w) => pool.expect(w, 'ready', 30_000)));
    return pool;
  }

  get pids(): number[] {
    return this.workers.map((w) => w.child.pid ?? 0).filter((pid) => pid > 0);
  }

  /** Connections open and events received (this phase), from the last ticks. */
  progress() {
    let connected = 0;
    let received = 0;
    for (const w of this.workers) {
      connected += w.connected;
      received += w.received;
    }
    return { connected, received };
  }

  private expect<T extends FromWorker['type']>(
    worker: Worker,
    type: T,
    timeoutMs: number,
  ): Promise<Extract<FromWorker, { type: T }>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        worker.waiters.delete(type);
        reject(new Error(`client worker ${worker.child.pid} did not answer "${type}" in time`));
      }, timeoutMs);
      worker.waiters.set(type, (message) => {
        clearTimeout(timer);
        resolve(message as Extract<FromWorker, { type: T }>);
      });
    });
  }

  private post(worker: Worker, message: ToWorker) {
    worker.child.send(message);
  }

  /** Opens every target (round-robin over workers); resolves with the counts. */
  async connect(kind: ClientKind, targets: Target[], concurrencyPerWorker: number) {
    const shares: Target[][] = this.workers.map(() => []);
    for (const [i, t] of targets.entries()) shares[i % shares.length]?.push(t);
    const answers = await Promise.all(
      this.workers.map((w, i) => {
        const answer = this.expect(w, 'connected', 600_000);
        this.post(w, {
          type: 'connect',
          kind,
          targets: shares[i] ?? [],
          concurrency: concurrencyPerWorker,
        });
        return answer;
      }),
    );
    return {
      ok: answers.reduce((n, a) => n + a.ok, 0),
      failed: answers.reduce((n, a) => n + a.failed, 0),
      errors: [...new Set(answers.flatMap((a) => a.errors))],
    };
  }

  startPhase() {
    for (const w of this.workers) {
      w.received = 0;
      this.post(w, { type: 'phase-start' });
    }
  }

  /** Ends the phase; `expected` maps each room to the offsets published to it. */
  async stopPhase(expected: Record<string, number[]>): Promise<PhaseMeasurement> {
    const results: WorkerPhaseResult[] = (
      await Promise.all(
        this.workers.map((w) => {
          const answer = this.expect(w, 'phase-result', 60_000);
          this.post(w, { type: 'phase-stop', expected });
          return answer;
        }),
      )
    ).map((a) => a.result);
    return merge(results);
  }

  /**
   * Soak window: every worker checks the offsets up to `upTo` against
   * `expected`, reports what it saw since the last window, and starts afresh.
   */
  async window(expected: Record<string, number[]>, upTo: number): Promise<PhaseMeasurement> {
    const results = await Promise.all(
      this.workers.map((w) => {
        const answer = this.expect(w, 'window-result', 60_000);
        this.post(w, { type: 'window', expected, upTo });
        return answer;
      }),
    );
    return merge(results.map((a) => a.result));
  }

  async disconnectAll() {
    await Promise.all(
      this.workers.map((w) => {
        const answer = this.expect(w, 'disconnected', 60_000);
        this.post(w, { type: 'disconnect' });
        return answer;
      }),
    );
  }

  async close() {
    await Promise.all(
      this.workers.map(async (w) => {
        if (w.child.exitCode !== null) return;
        const exited = once(w.child, 'exit');
        w.child.disconnect();
        const timer = setTimeout(() => w.child.kill('SIGKILL'), 5_000);
        await exited;
        clearTimeout(timer);
      }),
    );
  }
}
