import { retryDelay } from './backoff.ts';
import type { ResolvedOptions } from './options.ts';
import { alreadyApplied, landed, nextRunnable } from './plan.ts';
import { type Outcome, sendOperation } from './transport.ts';
import type { QueuedOperation, SyncSummary } from './types.ts';

export const LAST_SYNC_KEY = 'last-sync-at';

export interface PassContext {
  /** Automatic passes wait for the head's backoff; on-demand ones do not. */
  respectBackoff: boolean;
  /** Renews the replay lock before each request; false means it was lost. */
  renew: () => Promise<boolean>;
  isClosed: () => boolean;
  onChange: () => void;
}

export interface PassResult {
  summary: Omit<SyncSummary, 'stats'>;
  /** When the head operation may be tried again, if the pass stopped at a transient failure. */
  nextAttemptAt: number | undefined;
}

type Claim = { op: QueuedOperation } | { waitUntil: number } | undefined;

/**
 * One replay pass under the replay lock: takes the next runnable operation,
 * sends it, records the outcome, and goes on until the queue is done or a
 * transient failure stops it. Stopping (rather than skipping ahead) keeps the
 * queue in order: a later write may depend on an earlier one (an order on a
 * client created offline). Rejections and conflicts do not stop the pass;
 * they hold back only later operations on the same record.
 */
export async function replayPass(opts: ResolvedOptions, ctx: PassContext): Promise<PassResult> {
  const { storage, now } = opts;
  const summary = { attempted: 0, synced: 0, rejected: 0, conflicts: 0, retryScheduled: false };
  while (!ctx.isClosed()) {
    if (!(await ctx.renew())) break;
    const claim = await storage.mutate<Claim>((ops) => {
      const op = nextRunnable(ops);
      if (!op) return { result: undefined };
      const due = op.nextAttemptAt ?? 0;
      if (ctx.respectBackoff && due > now()) return { result: { waitUntil: due } };
      const syncing: QueuedOperation = { ...op, status: 'syncing', updatedAt: now() };
      return { put: [syncing], result: { op: syncing } };
    });
    if (!claim) break;
    if ('waitUntil' in claim) return { summary, nextAttemptAt: claim.waitUntil };
    ctx.onChange();
    summary.attempted += 1;
    const outcome = await sendOperation(claim.op, {
      apiUrl: opts.apiUrl,
      fetch: opts.fetch,
      token: opts.token,
      tokenRequired: opts.tokenRequired,
      requestTimeoutMs: opts.requestTimeoutMs,
      now,
    });
    const applied = await apply(opts, claim.op.opId, outcome);
    ctx.onChange();
    if (applied.kind === 'landed') summary.synced += 1;
    else if (applied.kind === 'rejected') summary.rejected += 1;
    else if (applied.kind === 'conflict') summary.conflicts += 1;
    else if (applied.kind === 'retry') {
      summary.retryScheduled = true;
      return { summary, nextAttemptAt: applied.nextAttemptAt };
    }
  }
  return { summary, nextAttemptAt: undefined };
}

type Applied =
  | { kind: 'landed' | 'rejected' | 'conflict' | 'gone' }
  | { kind: 'retry'; nextAttemptAt: number };

/** Records an outcome on the operation (in one storage transaction). */
async function apply(opts: ResolvedOptions, opId: string, outcome: Outcome): Promise<Applied> {
  const { storage, now, backoff, random } = opts;
  const at = now();
  const result = await storage.mutate<Applied>((ops) => {
    const op = ops.find((candidate) => candidate.opId === opId);
    if (!op) return { result: { kind: 'gone' } };
    switch (outcome.kind) {
      case 'landed':
        return { ...landed(ops, opId, outcome.record, at), result: { kind: 'landed' } };
      case 'conflict':
        if (alreadyApplied(op, outcome.theirs)) {
          return { ...landed(ops, opId, outcome.theirs, at), result: { kind: 'landed' } };
        }
        return {
          put: [
            {
              ...op,
              status: 'conflict',
              lastError: outcome.error,
              nextAttemptAt: undefined,
              conflict: {
                mine: { data: op.data, baseVersion: op.baseVersion },
                theirs: outcome.theirs,
                at,
              },
              updatedAt: at,
            },
          ],
          result: { kind: 'conflict' },
        };
      case 'rejected':
        return {
          put: [
            {
              ...op,
              status: 'rejected',
              lastError: outcome.error,
              nextAttemptAt: undefined,
              updatedAt: at,
            },
          ],
          result: { kind: 'rejected' },
        };
      case 'retry': {
        const attempts = op.attempts + 1;
        const serverErrors = op.serverErrors + (outcome.counts ? 1 : 0);
        if (serverErrors >= backoff.maxAttempts) {
          return {
            put: [
              {
                ...op,
                status: 'rejected',
                attempts,
                serverErrors,
                lastError: outcome.error,
                nextAttemptAt: undefined,
                updatedAt: at,
              },
            ],
            result: { kind: 'rejected' },
          };
        }
        const nextAttemptAt = at + retryDelay(attempts, backoff, random, outcome.retryAfterMs);
        return {
          put: [
            {
              ...op,
              status: 'pending',
              attempts,
              serverErrors,
              lastError: outcome.error,
              nextAttemptAt,
              updatedAt: at,
            },
          ],
          result: { kind: 'retry', nextAttemptAt },
        };
      }
      default: {
        const never: never = outcome;
        throw new Error(`unknown outcome ${JSON.stringify(never)}`);
      }
    }
  });
  if (result.kind === 'landed') await storage.setMeta(LAST_SYNC_KEY, at);
  return result;
}
