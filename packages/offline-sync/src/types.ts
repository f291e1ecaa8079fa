import type { ErrorCode, ResourceName } from '@dynapharm/types';

export type OperationAction = 'create' | 'update' | 'delete';
export type OperationMethod = 'POST' | 'PATCH' | 'DELETE';

/**
 * Where an operation stands. Operations that landed on the server leave the
 * queue, so there is no `synced` state.
 * - `pending`: waiting for its turn (or for a backoff, or for an earlier
 *   operation on the same record);
 * - `syncing`: a request is in flight;
 * - `rejected`: the server refused it (a 4xx) or it ran out of attempts; set
 *   aside until `retry()` or `discard()`;
 * - `conflict`: the server holds a newer version; waits for `resolveConflict()`.
 */
export type OperationStatus = 'pending' | 'syncing' | 'rejected' | 'conflict';

/** What the last failed attempt of an operation got back. */
export interface OperationError {
  /** HTTP status; absent for network errors. */
  status?: number;
  /** The API's machine code (`validation_failed`, …) or `network_error`. */
  code: ErrorCode | 'network_error' | 'unexpected_response';
  message: string;
  /** The server's `error.details`, untouched. */
  details?: unknown;
  /** Epoch milliseconds. */
  at: number;
}

/** Both sides of a version conflict, kept until the user resolves it. */
export interface OperationConflict {
  /** My side: the patch (empty for a delete) and the version I edited. */
  mine: { data: Record<string, unknown>; baseVersion: number | undefined };
  /** The server's current row (`details.current` of the 409). */
  theirs: Record<string, unknown>;
  /** Epoch milliseconds. */
  at: number;
}

/** One write waiting to reach the server, as it is persisted. */
export interface QueuedOperation {
  /** Stable id of the queue entry. */
  opId: string;
  /** Position in the queue: replays go in ascending `seq`. */
  seq: number;
  resource: ResourceName;
  action: OperationAction;
  method: OperationMethod;
  /** Id of the record; for creates also `data.id` (client-generated when absent). */
  recordId: string;
  /** Create body, or the patch of an update (no `id`, no `version`); `{}` for deletes. */
  data: Record<string, unknown>;
  /**
   * The version the edit was made on, sent as `If-Match`. Undefined while the
   * operation is chained behind `after`: it is filled in when that lands.
   */
  baseVersion: number | undefined;
  /** An earlier operation on the same record this one waits for. */
  after: string | undefined;
  /** Sent as `Idempotency-Key`; the same on every retry of the same request. */
  idempotencyKey: string;
  status: OperationStatus;
  /** Failed attempts so far (network errors included); drives the backoff. */
  attempts: number;
  /** Failed attempts the server answered (5xx, 429, …); bounded by `maxAttempts`. */
  serverErrors: number;
  /** Automatic retries wait until this time (epoch ms); on-demand syncs do not. */
  nextAttemptAt: number | undefined;
  lastError: OperationError | undefined;
  conflict: OperationConflict | undefined;
  createdAt: number;
  updatedAt: number;
}

/** Input of `queueOperation()`. */
export interface QueueOperationInput {
  resource: ResourceName;
  action: OperationAction;
  /** Derived from `action` when absent; must agree with it when given. */
  method?: OperationMethod;
  /** Record id; creates get a client-generated UUIDv7 when neither this nor `data.id` is set. */
  id?: string;
  /** Create body or update patch. */
  data?: Record<string, unknown>;
  /**
   * The version the user edited (required for updates of records that have no
   * earlier operation in the queue; optional for deletes).
   */
  baseVersion?: number;
}

/** Counts for a status badge. */
export interface QueueStats {
  /** Operations in the queue (landed ones are gone). */
  total: number;
  pending: number;
  syncing: number;
  /** Operations the server refused (`rejected`). */
  failed: number;
  conflicts: number;
  /** When the last operation landed (epoch ms), across reloads. */
  lastSyncAt: number | null;
}

/** What one `syncAll()` pass did. */
export interface SyncSummary {
  /** Requests sent in this pass. */
  attempted: number;
  /** Operations that landed (or were found already applied). */
  synced: number;
  rejected: number;
  conflicts: number;
  /** True when the pass stopped at a transient failure and a retry is scheduled. */
  retryScheduled: boolean;
  /** Set when no replay ran: another tab holds the lock, or the queue is closed. */
  skipped?: 'locked' | 'closed';
  /** The stats after the pass. */
  stats: QueueStats;
}

/** How `resolveConflict()` settles a conflict. */
export type ConflictResolution =
  | { strategy: 'theirs' }
  | { strategy: 'mine' }
  | {
      strategy: 'merge';
      /** Per field of my patch: keep mine or take theirs. Fields not listed take theirs. */
      fields: Record<string, 'mine' | 'theirs'>;
    };
