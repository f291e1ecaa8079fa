import { type SQL, sql } from 'drizzle-orm';
import { PgTransaction } from 'drizzle-orm/pg-core';
import { type ChangeContext, changeContextSql, type Executor } from '../transaction.ts';
import { pgErrorOf, rethrowAsDbError } from './pg-errors.ts';

/**
 * An `Idempotency-Key` carried into a write. The key row is inserted by the
 * write's own statement, together with its answer, so a key exists only for a
 * write that committed.
 */
export interface IdempotencyClaim {
  /** Keys are per caller: the same key of two callers names two requests. */
  principal: string;
  key: string;
  method: string;
  path: string;
  /** Digest of the whole request; a repeat must match it to be replayed. */
  requestHash: string;
}

/** The answer stored with a key by the request that used it first. */
export interface StoredAnswer {
  requestHash: string;
  status: number;
  body: unknown;
  etag: string | null;
}

/** What a write did: wrote (or found its effect already there), or met a stored answer. */
export type WriteOutcome<T> =
  | { replayed: false; status: 200 | 201; record: T }
  | { replayed: true; answer: StoredAnswer };

/** A successful answer found without writing (the request's effect already holds). */
export interface Settled<T> {
  status: 200 | 201;
  record: T;
}

/**
 * One write, as the pieces `performWrite` assembles:
 * - `ctes`: CTEs after `prior` (the stored key, if any) and `settings` (the
 *   change context; a write CTE lists it in its FROM). They must define
 *   `answer(status, record, version)` with at most one row, and write nothing
 *   unless the whole write succeeds (guard every write CTE with
 *   `NOT EXISTS (SELECT 1 FROM prior)` and the write's conditions).
 * - `probe`: CTEs (may be empty) and a jsonb expression describing the current
 *   state, read when the write produced no answer.
 * - `settle`: turns that state into a typed error (thrown), an answer that
 *   needs no write, or `undefined` to try the write again.
 * - `probeOn`: statement errors that mean "look at the state" (e.g. a check
 *   constraint the probe can explain) rather than "fail".
 */
export interface WritePlan<T, S = unknown> {
  ctes: SQL;
  probe: { ctes?: SQL; state: SQL };
  settle(state: S | null): Settled<T> | undefined;
  probeOn?(error: { code: string; constraint?: string }): boolean;
}

interface PriorRow {
  request_hash: string;
  status: number;
  response: unknown;
  etag: string | null;
}

interface AttemptRow {
  answer: { status: 200 | 201; record: unknown; version: number } | null;
  prior: PriorRow | null;
}

const MAX_ATTEMPTS = 4;
const KEY_CONSTRAINT = 'idempotency_keys_pkey';

/**
 * Runs a write in one autocommit statement: the idempotency key (if any) is
 * read, the write runs only without a stored answer, and the key is stored
 * with the write's answer in the same statement. A concurrent request with the
 * same key blocks on the uncommitted key row and then fails with a unique
 * violation, which undoes its whole statement (its own write included); it
 * then reads and replays the stored answer.
 *
 * When the statement writes nothing (a version conflict, a row that is gone,
 * a create whose id exists), a second statement reads the state and `settle`
 * explains it. Nothing is stored for a failed write: repeating it is harmless.
 */
export async function performWrite<T, S>(
  db: Executor,
  ctx: ChangeContext,
  claim: IdempotencyClaim | undefined,
  plan: WritePlan<T, S>,
): Promise<WriteOutcome<T>> {
  for (let attempt = 1; ; attempt++) {
    const done = await attemptWrite<T>(db, ctx, claim, plan);
    if (done) return done;
    const rows = await run<{ prior: PriorRow | null; state: S | null }>(
      db,
      sql`WITH ${priorCte(claim)}${plan.probe.ctes ? sql`, ${plan.probe.ctes}` : sql``}
          SELECT (SELECT to_jsonb(p) FROM prior p) AS prior, (${plan.probe.state}) AS state`,
    );
    const probed = rows[0];
    if (probed?.prior) return replayOf(probed.prior);
    const settled = plan.settle(probed?.state ?? null);
    if (settled) return claim ? storeSettled(db, claim, settled) : { replayed: false, ...settled };
    if (attempt >= MAX_ATTEMPTS) {
      throw new Error(`write did not settle after ${MAX_ATTEMPTS} attempts`);
    }
  }
}

async function attemptWrite<T>(
  db: Executor,
  ctx: ChangeContext,
  claim: IdempotencyClaim | undefined,
  plan: WritePlan<T, unknown>,
): Promise<WriteOutcome<T> | undefined> {
  const store = claim
    ? sql`, stored AS (
        INSERT INTO idempotency_keys
          (principal, key, method, path, request_hash, status, response, etag, completed_at)
        SELECT ${claim.principal}, ${claim.key}, ${claim.method}, ${claim.path},
               ${claim.requestHash}, a.status, a.record, '"' || a.version || '"', now()
        FROM answer a)`
    : sql``;
  let rows: AttemptRow[];
  try {
    rows = await run<AttemptRow>(
      db,
      sql`WITH ${priorCte(claim)},
          settings AS MATERIALIZED (SELECT ${changeContextSql(ctx)}),
          ${plan.ctes}${store}
          SELECT (SELECT to_jsonb(a) FROM answer a) AS answer,
                 (SELECT to_jsonb(p) FROM prior p) AS prior`,
    );
  } catch (error) {
    const pg = pgErrorOf(error);
    if (pg?.code === '23505' && pg.constraint === KEY_CONSTRAINT) return undefined;
    if (pg && plan.probeOn?.(pg)) return undefined;
    rethrowAsDbError(error);
  }
  const row = rows[0];
  if (row?.prior) return replayOf(row.prior);
  if (row?.answer) {
    return { replayed: false, status: row.answer.status, record: row.answer.record as T };
  }
  return undefined;
}

/** Stores an answer that needed no write (its effect was already there). */
async function storeSettled<T>(
  db: Executor,
  claim: IdempotencyClaim,
  settled: Settled<T>,
): Promise<WriteOutcome<T>> {
  const version = (settled.record as { version?: unknown }).version;
  const stored = await run<{ ok: number }>(
    db,
    sql`INSERT INTO idempotency_keys
          (principal, key, method, path, request_hash, status, response, etag, completed_at)
        VALUES (${claim.principal}, ${claim.key}, ${claim.method}, ${claim.path},
                ${claim.requestHash}, ${settled.status}, ${JSON.stringify(settled.record)}::jsonb,
                ${`"${String(version)}"`}, now())
        ON CONFLICT (principal, key) DO NOTHING
        RETURNING 1 AS ok`,
  );
  if (stored.length > 0) return { replayed: false, ...settled };
  const answer = await readStoredAnswer(db, claim.principal, claim.key);
  if (!answer) throw new Error('idempotency key vanished while storing its answer');
  return { replayed: true, answer };
}

/** The answer stored with a key, if any (for a request refused before it could write). */
export async function readStoredAnswer(
  db: Executor,
  principal: string,
  key: string,
): Promise<StoredAnswer | undefined> {
  const rows = await run<PriorRow>(
    db,
    sql`SELECT request_hash, status, response, etag FROM idempotency_keys
        WHERE principal = ${principal} AND key = ${key}`,
  );
  return rows[0] ? replayOf(rows[0]).answer : undefined;
}

function priorCte(claim: IdempotencyClaim | undefined): SQL {
  return claim
    ? sql`prior AS (
        SELECT request_hash, status, response, etag FROM idempotency_keys
        WHERE principal = ${claim.principal} AND key = ${claim.key})`
    : sql`prior AS (
        SELECT NULL::text AS request_hash, NULL::int AS status,
               NULL::jsonb AS response, NULL::text AS etag
        WHERE false)`;
}

function replayOf(row: PriorRow): { replayed: true; answer: StoredAnswer } {
  return {
    replayed: true,
    answer: {
      requestHash: row.request_hash,
      status: row.status,
      body: row.response,
      etag: row.etag,
    },
  };
}

/**
 * Runs one statement. Inside a caller's transaction (the seed, tests) it gets a
 * savepoint: a statement that fails on purpose (a unique violation of a
 * concurrent duplicate, a check) must not abort the caller's transaction.
 */
async function run<R>(db: Executor, query: SQL): Promise<R[]> {
  if (db instanceof PgTransaction) {
    return db.transaction(async (tx) => (await tx.execute(query)).rows as R[]);
  }
  return (await db.execute(query)).rows as R[];
}
