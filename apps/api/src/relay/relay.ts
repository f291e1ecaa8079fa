import { type ChangeEvent, eventName, roomsForChange } from '@dynapharm/types';
import { Emitter } from '@socket.io/redis-emitter';
import type { Redis } from 'ioredis';
import pg from 'pg';
import type { Logger } from 'pino';
import type { Metrics } from '../metrics.ts';
import { SYNC_LOG_COLUMNS, type SyncLogRow, toChangeEvent } from './rows.ts';

export interface RelayOptions {
  /** PostgreSQL URL; the relay holds one dedicated connection for its lock, LISTEN and claims. */
  databaseUrl: string;
  /** Publisher connection. Create it with `enableOfflineQueue: false` so a Redis outage fails fast. */
  redis: Redis;
  logger: Logger;
  metrics?: Metrics;
  /** Socket.IO adapter key prefix; must match the gateways. @default 'socket.io' */
  keyPrefix?: string;
  /** Rows claimed and published per cycle. @default 500 */
  batchSize?: number;
  /** Polling fallback when no NOTIFY arrives. @default 1000 */
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
  /** Called after each confirmed batch (tests and benchmarks). */
  onPublished?: (changes: ChangeEvent[]) => void;
}

export interface Relay {
  start(): void;
  close(): Promise<void>;
  isLeader(): boolean;
  /** A write committed in this process: run a cycle now instead of at the next poll. */
  wake(): void;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The outbox relay (ARCHITECTURE §3). Every API process runs one; a PostgreSQL
 * advisory lock makes exactly one the leader. The leader gives logged changes
 * strictly increasing offsets and broadcasts them through Redis.
 *
 * Offsets are assigned here, at publication time, by the single leader, never
 * taken from `sync_log.id`: ids are handed out before commit, so concurrent
 * writers can commit them out of order, and "everything after id X" could skip
 * a row that committed late. A row only gets an offset once it is visible, so
 * "everything after offset X" is complete.
 *
 * Publication is two-step: offsets are committed first, then the batch is sent
 * to Redis and marked `published_at`. Rows with an offset but no
 * `published_at` (Redis was down, or the leader died mid-way) are sent again,
 * in offset order, before anything new: delivery is at-least-once, and clients
 * drop repeats by offset and version.
 */
export function createRelay(options: RelayOptions): Relay {
  const {
    databaseUrl,
    redis,
    logger,
    metrics,
    keyPrefix = 'socket.io',
    batchSize = 500,
    pollIntervalMs = 1000,
    leaderRetryMs = 1000,
    publishTimeoutMs = 5000,
    lockId = 7_305_001,
    retentionMs = 30 * 24 * 3600 * 1000,
    retentionIntervalMs = 3600 * 1000,
    onPublished,
  } = options;
  const log = logger.child({ component: 'relay' });

  let closed = false;
  let leader = false;
  let loop: Promise<void> | undefined;
  let current: pg.Client | undefined;
  let wake: (() => void) | undefined;
  let pendingWake = false;

  const waitForWork = (ms: number) =>
    new Promise<void>((resolve) => {
      if (pendingWake || closed) {
        pendingWake = false;
        resolve();
        return;
      }
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        wake = undefined;
        pendingWake = false;
        resolve();
      }
      wake = done;
    });
  const notify = () => {
    if (wake) wake();
    else pendingWake = true;
  };

  async function publish(changes: ChangeEvent[]) {
    const sent: Promise<unknown>[] = [];
    // The emitter ignores the result of PUBLISH; this shim keeps it, so a batch
    // counts as published only once Redis has acknowledged every message.
    const emitter = new Emitter(
      {
        publish: (channel: string, message: string | Buffer) => {
          const p = redis.publish(channel, message);
          sent.push(p);
          return p;
        },
      },
      { key: keyPrefix },
    );
    for (const change of changes) {
      emitter.to(roomsForChange(change)).emit(eventName(change.resource, change.action), change);
    }
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error('Redis did not confirm the batch')),
        publishTimeoutMs,
      );
    });
    try {
      await Promise.race([Promise.all(sent), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  // Rows with an offset but no `published_at` exist only after a takeover or a
  // failed cycle. Looking for them costs a scan of every published row (no
  // index covers `published_at IS NULL`), so the leader only looks when one of
  // those happened.
  let mayHaveUnsent = true;

  async function claimBatch(client: pg.Client): Promise<SyncLogRow[]> {
    if (mayHaveUnsent) {
      // Rows that got an offset but were never confirmed go out first, in order.
      const unsent = await client.query<SyncLogRow>(
        `SELECT ${SYNC_LOG_COLUMNS} FROM sync_log
          WHERE "offset" IS NOT NULL AND published_at IS NULL
          ORDER BY "offset" LIMIT $1`,
        [batchSize],
      );
      if (unsent.rows.length > 0) return unsent.rows;
      mayHaveUnsent = false;
    }
    // Per record, id order is commit order (a later change of a row waits for
    // the earlier one's lock), so numbering visible rows by id keeps versions
    // of one record in order.
    const claimed = await client.query<SyncLogRow>(
      `WITH next AS (
         SELECT id, row_number() OVER (ORDER BY id) AS n
           FROM (SELECT id FROM sync_log WHERE "offset" IS NULL ORDER BY id LIMIT $1) AS pending
       ), counter AS (
         UPDATE relay_state SET last_offset = last_offset + (SELECT count(*) FROM next)
          WHERE name = 'relay'
          RETURNING last_offset - (SELECT count(*) FROM next) AS base
       )
       UPDATE sync_log AS s SET "offset" = counter.base + next.n
         FROM next, counter
        WHERE s.id = next.id
        RETURNING ${SYNC_LOG_COLUMNS.split(', ')
          .map((c) => `s.${c}`)
          .join(', ')}`,
      [batchSize],
    );
    return claimed.rows.sort((a, b) => Number(a.offset) - Number(b.offset));
  }

  async function cycle(client: pg.Client): Promise<number> {
    const rows = await claimBatch(client);
    if (rows.length === 0) return 0;
    const changes = rows.map(toChangeEvent);
    await publish(changes);
    const first = changes[0]?.offset ?? 0;
    const last = changes[changes.length - 1]?.offset ?? 0;
    // Losing this mark in a crash only means publishing the batch again, which
    // clients tolerate (at-least-once), so it need not wait for the WAL flush.
    // The claim above must: its offsets are what clients resume from.
    await client.query('BEGIN');
    try {
      await client.query('SET LOCAL synchronous_commit = off');
      await client.query(
        `UPDATE sync_log SET published_at = clock_timestamp()
          WHERE "offset" BETWEEN $1 AND $2 AND published_at IS NULL`,
        [first, last],
      );
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    }
    if (metrics) {
      const now = Date.now();
      metrics.relayPublished.inc(changes.length);
      for (const row of rows) metrics.relayLag.observe((now - row.changed_at.getTime()) / 1000);
    }
    onPublished?.(changes);
    return rows.length;
  }

  async function sampleBacklog(client: pg.Client) {
    if (!metrics) return;
    const { rows } = await client.query<{ n: string }>(
      // Rows still waiting for an offset: the partial index keeps this cheap
      // however long sync_log grows.
      'SELECT count(*) AS n FROM sync_log WHERE "offset" IS NULL',
    );
    metrics.relayBacklog.set(Number(rows[0]?.n ?? 0));
  }

  /**
   * Deletes published rows older than the retention window, a chunk at a time,
   * and records the highest trimmed offset so `/api/changes` can answer
   * `resync` to a client that asks for something no longer kept.
   */
  async function trim(client: pg.Client) {
    for (;;) {
      const { rows } = await client.query<{ n: string; max: string | null }>(
        `WITH doomed AS (
           SELECT id FROM sync_log
            WHERE changed_at < now() - make_interval(secs => $1)
              AND published_at IS NOT NULL
            ORDER BY id LIMIT 5000
         ), gone AS (
           DELETE FROM sync_log s USING doomed WHERE s.id = doomed.id RETURNING s."offset"
         )
         SELECT count(*) AS n, max("offset") AS max FROM gone`,
        [retentionMs / 1000],
      );
      const removed = Number(rows[0]?.n ?? 0);
      if (rows[0]?.max) {
        await client.query(
          `INSERT INTO relay_state (name, last_offset) VALUES ('trimmed', $1)
           ON CONFLICT (name) DO UPDATE SET last_offset = GREATEST(relay_state.last_offset, $1)`,
          [rows[0].max],
        );
      }
      if (removed > 0) log.info({ removed }, 'trimmed sync_log');
      if (removed < 5000) return;
    }
  }

  async function lead(client: pg.Client) {
    await client.query(
      `INSERT INTO relay_state (name, last_offset)
       VALUES ('relay', COALESCE((SELECT max("offset") FROM sync_log), 0))
       ON CONFLICT (name) DO NOTHING`,
    );
    client.on('notification', notify);
    await client.query('LISTEN sync_log');
    mayHaveUnsent = true;
    let failures = 0;
    let lastSample = 0;
    let lastTrim = 0;
    while (!closed) {
      try {
        const count = await cycle(client);
        failures = 0;
        if (Date.now() - lastTrim > retentionIntervalMs) {
          lastTrim = Date.now();
          await trim(client);
        }
        if (Date.now() - lastSample > 5000) {
          lastSample = Date.now();
          await sampleBacklog(client);
        }
        if (count < batchSize) await waitForWork(pollIntervalMs);
      } catch (err) {
        if (!leader) return; // connection lost: leadership is gone with it
        mayHaveUnsent = true;
        failures += 1;
        metrics?.relayErrors.inc();
        const delay = Math.min(5000, 100 * 2 ** Math.min(failures, 6)) * (0.5 + Math.random());
        log.warn({ err, retryInMs: Math.round(delay) }, 'relay cycle failed; retrying');
        await sleep(delay);
      }
    }
  }

  async function run() {
    while (!closed) {
      const client = new pg.Client({ connectionString: databaseUrl, application_name: 'relay' });
      const lost = () => {
        leader = false;
        metrics?.relayLeader.set(0);
        notify();
      };
      client.on('error', (err) => {
        log.warn({ err }, 'relay connection lost');
        lost();
      });
      client.on('end', lost);
      current = client;
      try {
        await client.connect();
        const { rows } = await client.query<{ ok: boolean }>(
          'SELECT pg_try_advisory_lock($1) AS ok',
          [lockId],
        );
        if (rows[0]?.ok) {
          leader = true;
          metrics?.relayLeader.set(1);
          log.info('relay leadership acquired');
          await lead(client);
        }
      } catch (err) {
        if (!closed) log.warn({ err }, 'relay could not reach PostgreSQL');
      } finally {
        if (leader) log.info('relay leadership released');
        leader = false;
        metrics?.relayLeader.set(0);
        current = undefined;
        await client.end().catch(() => {});
      }
      if (!closed) await waitForWork(leaderRetryMs);
    }
  }

  return {
    start() {
      loop ??= run();
    },
    async close() {
      closed = true;
      notify();
      // The loop notices `closed` after its current step and ends its own
      // connection; ending it from here could strand a connect in progress.
      // Only a step stuck on an unreachable database is cut short.
      const finished = loop ?? Promise.resolve();
      const stuck = await Promise.race([finished.then(() => false), sleep(5000).then(() => true)]);
      if (stuck) {
        current?.end().catch(() => {});
        await Promise.race([finished, sleep(5000)]);
      }
    },
    isLeader: () => leader,
    wake: () => {
      if (leader) notify();
    },
  };
}
