import type { Mutation } from './storage/storage.ts';
import type { QueuedOperation, QueueStats } from './types.ts';

/*
 * Pure decisions over the queue (a list in `seq` order). The queue runs them
 * inside `storage.mutate()`, so each is atomic against other tabs.
 */

/** An operation waits while the earlier operation on its record is still queued. */
export function isBlocked(op: QueuedOperation, ops: readonly QueuedOperation[]) {
  return op.after !== undefined && ops.some((other) => other.opId === op.after);
}

/**
 * The next operation to replay: the first pending one (or one left `syncing`
 * by a tab that died; we hold the replay lock, so nobody else is sending it)
 * that is not waiting for an earlier operation on the same record. Rejected
 * and conflicting operations are skipped, so they block only their record.
 */
export function nextRunnable(ops: readonly QueuedOperation[]) {
  return ops.find(
    (op) => (op.status === 'pending' || op.status === 'syncing') && !isBlocked(op, ops),
  );
}

/** The last queued operation on a record: a new operation on it chains behind this one. */
export function lastOnRecord(ops: readonly QueuedOperation[], resource: string, recordId: string) {
  return ops.findLast((op) => op.resource === resource && op.recordId === recordId);
}

export function nextSeq(ops: readonly QueuedOperation[]) {
  return (ops.at(-1)?.seq ?? 0) + 1;
}

/**
 * `opId` landed with `record` (the server row, when the answer had one): it
 * leaves the queue and the operations chained behind it take the version it
 * produced as their expected version.
 */
export function landed(
  ops: readonly QueuedOperation[],
  opId: string,
  record: Record<string, unknown> | undefined,
  now: number,
): Mutation<void> {
  const version = typeof record?.version === 'number' ? record.version : undefined;
  const put = ops
    .filter((op) => op.after === opId)
    .map((op) => ({
      ...op,
      after: undefined,
      baseVersion: version ?? op.baseVersion,
      updatedAt: now,
    }));
  return { remove: [opId], put, result: undefined };
}

/**
 * `opId` leaves the queue without landing (discarded, or resolved as
 * 'theirs'). If it was a create, the record never existed, so everything
 * chained behind it goes too. Otherwise its successor takes over its place in
 * the chain and its expected version: the successor was written on top of an
 * edit that will not happen, so it must prove itself against the version the
 * user actually saw, and comes back as a conflict if the server moved on.
 */
export function dropped(ops: readonly QueuedOperation[], opId: string, now: number) {
  const op = ops.find((candidate) => candidate.opId === opId);
  if (!op) return { remove: [], put: [], result: [] as string[] };
  if (op.action === 'create') {
    const removed = new Set([opId]);
    for (const candidate of ops) {
      if (candidate.after !== undefined && removed.has(candidate.after))
        removed.add(candidate.opId);
    }
    return { remove: [...removed], put: [], result: [...removed] };
  }
  const put = ops
    .filter((candidate) => candidate.after === opId)
    .map((candidate) => ({
      ...candidate,
      after: op.after,
      baseVersion: op.baseVersion,
      updatedAt: now,
    }));
  return { remove: [opId], put, result: [opId] };
}

function sameValue(a: unknown, b: unknown) {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * A version conflict whose server row already holds everything the operation
 * wanted (an update whose every field matches, a delete of a deleted row).
 * This is what a replay sees when its first attempt committed but the answer
 * and the idempotency record were both lost; it is not a conflict.
 */
export function alreadyApplied(op: QueuedOperation, theirs: Record<string, unknown>) {
  if (op.action === 'delete') return theirs.deletedAt !== null && theirs.deletedAt !== undefined;
  if (op.action !== 'update') return false;
  return Object.entries(op.data).every(([field, value]) => sameValue(theirs[field], value));
}

export function computeStats(
  ops: readonly QueuedOperation[],
  lastSyncAt: number | null,
): QueueStats {
  const count = (status: QueuedOperation['status']) =>
    ops.filter((op) => op.status === status).length;
  return {
    total: ops.length,
    pending: count('pending'),
    syncing: count('syncing'),
    failed: count('rejected'),
    conflicts: count('conflict'),
    lastSyncAt,
  };
}
