import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { createHistogram, type Histogram, recordMs } from '../stats/histogram.ts';

/**
 * Creates clients through `POST /api/clients` (validation, one transaction,
 * trigger-written sync_log row, NOTIFY — the full write path) over keep-alive
 * connections. Response times go into `responseMs`.
 */
export class ApiWriter {
  private readonly agent: Agent;
  private readonly body: (branchId: string) => string;
  inFlight = 0;
  ok = 0;
  failed = 0;
  lastError = '';
  responseMs: Histogram = createHistogram();

  constructor(
    private readonly baseUrl: string,
    private readonly token: string,
    payloadBytes: number,
    maxSockets: number,
  ) {
    this.agent = new Agent({ keepAlive: true, maxSockets });
    const notes = 'n'.repeat(payloadBytes);
    this.body = (branchId) =>
      JSON.stringify({ branchId, fullName: 'Bench Client', phone: '+256 700 000 000', notes });
  }

  resetCounters() {
    this.ok = 0;
    this.failed = 0;
    this.responseMs = createHistogram();
  }

  /** One create; resolves true on 201. Never rejects. */
  write(branchId: string): Promise<boolean> {
    const payload = this.body(branchId);
    const started = performance.now();
    this.inFlight++;
    return new Promise((resolve) => {
      const done = (ok: boolean, error?: string) => {
        this.inFlight--;
        if (ok) {
          this.ok++;
          recordMs(this.responseMs, performance.now() - started);
        } else {
          this.failed++;
          if (error) this.lastError = error;
        }
        resolve(ok);
      };
      const req = request(
        `${this.baseUrl}/api/clients`,
        {
          method: 'POST',
          agent: this.agent,
          headers: {
            authorization: `Bearer ${this.token}`,
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(payload),
          },
          timeout: 30_000,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            res.statusCode === 201
              ? done(true)
              : done(false, `${res.statusCode} ${Buffer.concat(chunks).toString().slice(0, 200)}`),
          );
        },
      );
      req.on('timeout', () => req.destroy(new Error('timed out')));
      req.on('error', (err) => done(false, err.message));
      req.end(payload);
    });
  }

  close() {
    this.agent.destroy();
  }
}
