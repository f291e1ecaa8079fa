import type { QueuedOperation } from '@dynapharm/offline-sync';
import type { VersionedRow } from './live-rows.ts';

/** How a row stands with respect to the offline queue. */
export type SyncMark = 'pending' | 'rejected' | 'conflict' | 'deleting';

export type MarkedRow<T> = T & { syncMark?: SyncMark };

/**
 * A queued operation, or one that just left the queue (`landed`): until the
 * replica has its result, the overlay keeps showing it, so the row does not
 * flicker back to its old state between the answer and the change event.
 */
export type OverlayOperation = QueuedOperation & { landed?: boolean };

function markOf(op: QueuedOperation): SyncMark {
  if (op.status === 'rejected') return 'rejected';
  if (op.status === 'conflict') return 'conflict';
  return op.action === 'delete' ? 'deleting' : 'pending';
}

/**
 * The rows as the user expects them: server rows with the queued (not yet
 * synced) writes of this resource applied on top, so work done offline shows
 * at once. Creates the server already has are not shown twice.
 */
export function overlayQueued<T extends VersionedRow>(
  rows: readonly T[],
  ops: readonly OverlayOperation[],
  resource: string,
  branchId?: string,
): MarkedRow<T>[] {
  const out: MarkedRow<T>[] = rows.map((r) => ({ ...r }));
  const byId = new Map(out.map((r, i) => [r.id, i]));
  const created: MarkedRow<T>[] = [];
  for (const op of ops) {
    if (op.resource !== resource) continue;
    const i = byId.get(op.recordId);
    if (op.action === 'create') {
      if (i !== undefined) continue;
      const data = op.data as Partial<T>;
      if (branchId !== undefined && data.branchId != null && data.branchId !== branchId) continue;
      const row = { ...data, id: op.recordId, version: 0, syncMark: markOf(op) } as MarkedRow<T>;
      byId.set(op.recordId, -1 - created.length);
      created.push(row);
      continue;
    }
    const target = i === undefined ? undefined : i >= 0 ? out[i] : created[-1 - i];
    if (!target) continue;
    if (op.landed && (op.baseVersion === undefined || target.version > op.baseVersion)) continue;
    Object.assign(target, op.action === 'update' ? op.data : {}, { syncMark: markOf(op) });
  }
  return [...created.reverse(), ...out];
}
