import type { ChangeEvent } from '@dynapharm/types';
import type { Logger } from 'pino';
import type { BusConfig } from '../bus/config.ts';
import { type BusPublisher, createBusPublisher } from '../bus/publisher.ts';
import { type PositionedRow, toChangeEvent } from '../change-event.ts';
import { confirmIncarnation } from '../epoch.ts';
import { backlog, claimRows, markPublished, unsentRows } from './claim.ts';
import { LeaderSession, PooledSessionError } from './leadership.ts';
import { trimLog } from './trim.ts';
import { Wakeup } from './wakeup.ts';

/** The counters and gauges the relay feeds (prom-client metrics fit as they are). */
export interface RelayMetrics {
  relayPublished: { inc(n?: number): void };
  relayLag: { observe(seconds: number): void };
  relayErrors: { inc(): void };
  relayBacklog: { set(n: number): void };
  relayLeader: { set(n: number): void };
  /** The last offset the leader claimed (the stream head); 0 on a standby. */
  relayHead?: { set(n: number): void };
  /** The last offset Redis confirmed (head minus this is the unpublished lag); 0 on a standby. */
  relayPublishedOffset?: { set(n: number): void };
}

export interface RelayOptions {
  /** PostgreSQL URL of a direct session (not a transaction pooler): lock, LISTEN, claims. */
  databaseUrl: string;
  /** The bus the gateways listen on. */
  bus: BusConfig;
  logger: Logger;
  metrics?: RelayMetrics;
  /** Rows claimed and published per cycle. @default 500 */
  batchSize?: number;
  /** Polling fallback when no signal arrives. @default 1000 */
  pollIntervalMs?: number;
  /** How often a standby tries to become leader. @default 1000 */
  leaderRetryMs?: number;
  /** A publish batch not confirmed by Redis within this time is retried. @default 5000 */
  publishTimeoutMs?: number;
  /** Advisory lock id; one leader per database. @default 7_305_001 */
  lockId?: number;
  /** `sync_log` rows older than this are trimmed by the leader. @default 30 days */
  retentionMs?: number;
  /** How often the leader trims. @default 1 hour */
  retentionIntervalMs?: number;
  /** How often the leader tells the gateways it is alive. @default 2000 */
  beatIntervalMs?: number;
  /** Called after each confirmed batch (tests and benchmarks). */
  onPublished?: (changes: ChangeEvent[]) => void;
}

const defaults = {
  batchSize: 500,
  pollIntervalMs: 1000,
  leaderRetryMs: 1000,
  publishTimeoutMs: 5000,
  lockId: 7_305_001,
  retentionMs: 30 * 24 * 3600 * 1000,
  retentionIntervalMs: 3600 * 1000,
  beatIntervalMs: 2000,
};

/** How often the leader re-reads the backlog and re-checks the database's identity. */
const SAMPLE_INTERVAL_MS = 5000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The outbox relay. Every API process runs one; a PostgreSQL advisory lock
 * makes exactly one the leader. The leader confirms the stream's epoch, then
 * loops: claim (give committed rows offsets), publish (through the gateways'
 * own adapter), mark published; and now and then trim, sample, beat.
 *
 * Publication is two-step: offsets are committed first, then the batch is
 * sent and marked `published_at`. Rows with an offset but no mark (Redis was
 * down, or the leader died mid-way) are sent again, in offset order, before
 * anything new: delivery is at-least-once, clients drop repeats by offset and
 * version.
 *
 * @example
 * const relay = createRelay({ databaseUrl, bus, logger });
 * relay.start();
 * // after each committed write: relay.wake()
 * await relay.close();
 */
export function createRelay(options: RelayOptions): Relay {
  return new Relay(options);
}

export class Relay {
  private readonly opts: typeof defaults & RelayOptions;
  private readonly log: Logger;
  private readonly publisher: BusPublisher;
  private readonly wakeup = new Wakeup();
  private closed = false;
  private leader = false;
  private loop: Promise<void> | undefined;
  private session: LeaderSession | undefined;
  private epoch = '';
  private head = 0;
  /** The highest offset this leader claimed (ahead of `head` until its batch is confirmed). */
  private claimed = 0;
  /** Rows with an offset and no mark exist only after a takeover or a failed cycle. */
  private mayHaveUnsent = true;

  constructor(options: RelayOptions) {
    this.opts = { ...defaults, ...withoutUndefined(options) };
    this.log = options.logger.child({ component: 'relay' });
    this.publisher = createBusPublisher(options.bus);
  }

  start() {
    this.loop ??= this.run();
  }

  isLeader(): boolean {
    return this.leader;
  }

  /** A write committed in this process: run a cycle now instead of at the next poll. */
  wake() {
    if (this.leader) this.wakeup.ring();
  }

  async close() {
    this.closed = true;
    this.wakeup.ring();
    // The loop notices `closed` after its current step and ends its own
    // session; ending it from here could strand a connect in progress. Only a
    // step stuck on an unreachable database is cut short.
    const finished = this.loop ?? Promise.resolve();
    const stuck = await Promise.race([finished.then(() => false), sleep(5000).then(() => true)]);
    if (stuck) {
      void this.session?.end();
      await Promise.race([finished, sleep(5000)]);
    }
    await this.publisher.close();
  }

  private setLeader(value: boolean) {
    this.leader = value;
    const { metrics } = this.opts;
    metrics?.relayLeader.set(value ? 1 : 0);
    if (!value) {
      // Only the leader's stream gauges mean anything: a standby reports none.
      metrics?.relayBacklog.set(0);
      metrics?.relayHead?.set(0);
      metrics?.relayPublishedOffset?.set(0);
    }
  }

  private async run() {
    while (!this.closed) {
      const session = new LeaderSession(this.opts.databaseUrl, (err) => {
        if (err) this.log.warn({ err }, 'relay connection lost');
        this.setLeader(false);
        this.wakeup.ring();
      });
      this.session = session;
      try {
        if (await session.tryAcquire(this.opts.lockId)) {
          this.setLeader(true);
          this.log.info('relay leadership acquired');
          await this.lead(session);
        }
      } catch (err) {
        if (!this.closed && err instanceof PooledSessionError) {
          this.log.error({ err }, 'relay refuses a pooled session: it will not lead');
        } else if (!this.closed) {
          this.log.warn({ err }, 'relay could not reach PostgreSQL');
        }
      } finally {
        if (this.leader) this.log.info('relay leadership released');
        this.setLeader(false);
        this.session = undefined;
        await session.end();
      }
      if (!this.closed) await this.wakeup.wait(this.opts.leaderRetryMs);
    }
  }

  private async lead(session: LeaderSession) {
    this.claimed = 0;
    await this.confirmEpoch(session);
    await session.listen(() => this.wakeup.ring());
    this.mayHaveUnsent = true;
    let failures = 0;
    const last = { trim: 0, sample: 0, beat: 0 };
    while (!this.closed && !session.isLost) {
      try {
        const count = await this.cycle(session);
        failures = 0;
        const now = Date.now();
        if (now - last.trim > this.opts.retentionIntervalMs) {
          last.trim = now;
          const removed = await trimLog(session.client, this.opts.retentionMs);
          if (removed > 0) this.log.info({ removed }, 'trimmed sync_log');
        }
        if (now - last.sample > SAMPLE_INTERVAL_MS) {
          last.sample = now;
          await this.confirmEpoch(session);
          await this.sampleBacklog(session);
        }
        if (now - last.beat > this.opts.beatIntervalMs) {
          last.beat = now;
          this.publisher.beat({ epoch: this.epoch, head: this.head, at: now });
        }
        if (count < this.opts.batchSize) await this.wakeup.wait(this.opts.pollIntervalMs);
      } catch (err) {
        if (session.isLost) return; // the lock went with the connection
        this.mayHaveUnsent = true;
        failures += 1;
        this.opts.metrics?.relayErrors.inc();
        // A relay that cannot publish (Redis down) must still show its backlog growing.
        if (Date.now() - last.sample > SAMPLE_INTERVAL_MS) {
          last.sample = Date.now();
          await this.sampleBacklog(session).catch(() => {});
        }
        const delay = Math.min(5000, 100 * 2 ** Math.min(failures, 6)) * (0.5 + Math.random());
        this.log.warn({ err, retryInMs: Math.round(delay) }, 'relay cycle failed; retrying');
        await sleep(delay);
      }
    }
  }

  private async sampleBacklog(session: LeaderSession) {
    this.opts.metrics?.relayBacklog.set(await backlog(session.client));
  }

  private async confirmEpoch(session: LeaderSession) {
    const identity = await confirmIncarnation(session.client);
    if (identity.renewed) {
      this.log.warn(
        { epoch: identity.epoch, previous: this.epoch || undefined },
        'the database is not the one the stream was recorded in (restore or failover): new epoch, clients will resync',
      );
    }
    if (identity.renewed) this.claimed = 0;
    this.epoch = identity.epoch;
    this.head = identity.head;
    this.opts.metrics?.relayHead?.set(Math.max(this.head, this.claimed));
  }

  /** One claim → publish → mark round; returns how many rows went out. */
  private async cycle(session: LeaderSession): Promise<number> {
    const { client } = session;
    let rows: PositionedRow[] = [];
    if (this.mayHaveUnsent) {
      rows = await unsentRows(client, this.opts.batchSize);
      if (rows.length === 0) {
        this.mayHaveUnsent = false;
        // Nothing numbered is waiting: everything up to the head went out.
        this.opts.metrics?.relayPublishedOffset?.set(this.head);
      } else if (rows[0]) {
        // Offsets are sent in order: all before the first unsent one went out.
        this.opts.metrics?.relayPublishedOffset?.set(rows[0].offset - 1);
      }
    }
    if (rows.length === 0) rows = await claimRows(client, this.opts.batchSize);
    const first = rows[0];
    const lastRow = rows.at(-1);
    if (!first || !lastRow) return 0;
    this.claimed = Math.max(this.claimed, lastRow.offset);
    this.opts.metrics?.relayHead?.set(Math.max(this.head, this.claimed));
    const changes = rows.map((row) => toChangeEvent(row, this.epoch));
    await this.publisher.publish(changes, this.opts.publishTimeoutMs);
    await markPublished(client, first.offset, lastRow.offset);
    this.head = Math.max(this.head, lastRow.offset);
    const { metrics } = this.opts;
    if (metrics) {
      const now = Date.now();
      metrics.relayPublished.inc(rows.length);
      metrics.relayPublishedOffset?.set(lastRow.offset);
      for (const row of rows) metrics.relayLag.observe((now - row.changedAt.getTime()) / 1000);
    }
    this.opts.onPublished?.(changes);
    return rows.length;
  }
}

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
