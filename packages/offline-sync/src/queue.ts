import { type OfflineQueueOptions, type ResolvedOptions, resolveOptions } from './options.ts';
import { computeStats, dropped, lastOnRecord, nextSeq } from './plan.ts';
import { LAST_SYNC_KEY, replayPass } from './replay.ts';
import { LOCKED, withReplayLock } from './tab-lock.ts';
import { answerIsFinal } from './transport.ts';
import type {
  ConflictResolution,
  OperationMethod,
  QueuedOperation,
  QueueOperationInput,
  QueueStats,
  SyncSummary,
} from './types.ts';
import { WakeTimer } from './wake-timer.ts';

const methods = { create: 'POST', update: 'PATCH', delete: 'DELETE' } as const satisfies Record<
  QueuedOperation['action'],
  OperationMethod
>;

export type StatsListener = (stats: QueueStats) => void;

/**
 * A persistent, ordered queue of writes made while the network was away.
 * Each operation carries one idempotency key for its whole life, so however
 * many times it is replayed (lost answers, reloads, several tabs), the server
 * applies it once. Version conflicts are kept for the user to resolve, never
 * overwritten.
 *
 * @example
 * const queue = createOfflineQueue({ apiUrl: 'https://branch.example', token: () => auth.token }).start();
 * const op = await queue.queueOperation({ resource: 'clients', action: 'create', data: { branchId, fullName } });
 * await queue.queueOperation({ resource: 'clients', action: 'update', id: op.recordId, data: { phone } });
 * queue.subscribe((stats) => badge.render(stats));
 */
export class OfflineQueue {
  private readonly opts: ResolvedOptions;
  private readonly listeners = new Set<StatsListener>();
  private readonly detach: (() => void)[] = [];
  /** Identifies this tab as the owner of the storage lease. */
  private readonly tabId: string;
  private readonly ownsStorage: boolean;
  private running: Promise<SyncSummary> | undefined;
  private followUp: Promise<SyncSummary> | undefined;
  private followUpRespectsBackoff = true;
  private readonly timer: WakeTimer;
  private channel: BroadcastChannel | undefined;
  private started = false;
  private closed = false;

  constructor(options: OfflineQueueOptions = {}) {
    this.opts = resolveOptions(options);
    this.tabId = this.opts.generateId();
    this.ownsStorage = options.storage === undefined;
    this.timer = new WakeTimer(this.opts.timers, this.opts.now, () => {
      if (this.opts.isOnline()) void this.runPass(true).catch(() => this.pollLater());
      else this.pollLater();
    });
  }

  /**
   * Starts automatic replays: now, on the `online` event, periodically while
   * work is pending, and after each `queueOperation()`.
   */
  start(): this {
    if (this.started || this.closed) return this;
    this.started = true;
    const { onlineEvents, broadcastChannel } = this.opts;
    if (onlineEvents) {
      const onOnline = () => this.kick(false);
      onlineEvents.addEventListener('online', onOnline);
      this.detach.push(() => onlineEvents.removeEventListener('online', onOnline));
    }
    if (broadcastChannel !== null && typeof BroadcastChannel === 'function') {
      const channel = new BroadcastChannel(broadcastChannel);
      channel.onmessage = () => void this.notify(false);
      this.channel = channel;
    }
    this.kick();
    return this;
  }

  /**
   * Replays on an outside signal, typically the realtime client reconnecting:
   * `queue.attachTrigger((fire) => realtime.onConnect(fire))`. If `register`
   * returns a function, `close()` calls it.
   */
  attachTrigger(register: (fire: () => void) => unknown): this {
    const undo = register(() => void this.syncAll().catch(() => undefined));
    if (typeof undo === 'function') this.detach.push(() => undo());
    return this;
  }

  /** Stops timers and listeners; the queue stays in storage for the next start. */
  async close() {
    this.closed = true;
    this.timer.clear();
    for (const undo of this.detach.splice(0)) undo();
    this.channel?.close();
    await this.running?.catch(() => undefined);
    if (this.ownsStorage) await this.opts.storage.close?.();
  }

  /**
   * Adds a write to the queue and returns it as stored. Creates get a
   * client-generated UUIDv7 (`data.id`, `recordId`) when none is given. An
   * operation on a record that already has a queued operation is chained
   * behind it: it is sent only after that one landed, with the version that
   * one produced as its expected version (so you may edit a record created
   * offline before the create has synced).
   */
  async queueOperation(input: QueueOperationInput): Promise<QueuedOperation> {
    const { resource, action } = input;
    if (typeof resource !== 'string' || !/^[a-z][a-z_-]*$/.test(resource)) {
      throw new TypeError(`invalid resource: ${String(resource)}`);
    }
    const method = methods[action];
    if (method === undefined) throw new TypeError(`invalid action: ${String(action)}`);
    if (input.method !== undefined && input.method !== method) {
      throw new TypeError(`${action} is sent as ${method}, not ${input.method}`);
    }
    const { id: dataId, version: _ignored, ...fields } = input.data ?? {};
    const given = input.id ?? (typeof dataId === 'string' ? dataId : undefined);
    if (action !== 'create' && given === undefined) {
      throw new TypeError(`${action} needs the record id`);
    }
    const recordId = (given ?? this.opts.generateId()).toLowerCase();
    const data =
      action === 'create' ? { ...fields, id: recordId } : action === 'update' ? fields : {};
    const now = this.opts.now();
    const op = await this.opts.storage.mutate((ops) => {
      const previous = lastOnRecord(ops, resource, recordId);
      if (!previous && action === 'update' && input.baseVersion === undefined) {
        throw new TypeError('update needs baseVersion: the version the user edited');
      }
      const queued: QueuedOperation = {
        opId: this.opts.generateId(),
        seq: nextSeq(ops),
        resource,
        action,
        method,
        recordId,
        data,
        baseVersion: previous ? undefined : input.baseVersion,
        after: previous?.opId,
        idempotencyKey: this.opts.generateId(),
        status: 'pending',
        attempts: 0,
        serverErrors: 0,
        nextAttemptAt: undefined,
        lastError: undefined,
        conflict: undefined,
        createdAt: now,
        updatedAt: now,
      };
      return { put: [queued], result: queued };
    });
    void this.notify();
    if (this.opts.syncOnQueue) this.kick();
    return op;
  }

  /**
   * Replays the queue now, in order, one request at a time, ignoring backoff
   * waits. Called during a pass, it waits for that one and runs another;
   * another tab holding the replay lock makes it return `skipped: 'locked'`.
   */
  syncAll(): Promise<SyncSummary> {
    return this.runPass(false);
  }

  async getStats(): Promise<QueueStats> {
    const [ops, lastSyncAt] = await Promise.all([
      this.opts.storage.load(),
      this.opts.storage.getMeta<number>(LAST_SYNC_KEY),
    ]);
    return computeStats(ops, lastSyncAt ?? null);
  }

  /** Every queued operation, in replay order. */
  getQueue(): Promise<QueuedOperation[]> {
    return this.opts.storage.load();
  }

  /** Calls `listener` with fresh stats after every change, from this tab or another. */
  subscribe(listener: StatsListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Sends a rejected operation again (or a backing-off one right now). With
   * `changes.data` the body is replaced, e.g. after fixing a validation error.
   * A new idempotency key is used when the server had answered the old one
   * for good (a 4xx changed nothing) or the body changed.
   */
  async retry(opId: string, changes: { data?: Record<string, unknown> } = {}) {
    const now = this.opts.now();
    const op = await this.change(opId, (op) => {
      if (op.status !== 'rejected' && op.status !== 'pending') {
        throw new Error(`operation ${opId} is ${op.status}; only rejected or pending ones retry`);
      }
      const { id: _id, version: _version, ...fields } = changes.data ?? {};
      const data =
        changes.data === undefined
          ? op.data
          : op.action === 'create'
            ? { ...fields, id: op.recordId }
            : fields;
      const fresh = answerIsFinal(op.lastError) || changes.data !== undefined;
      return {
        ...op,
        data,
        idempotencyKey: fresh ? this.opts.generateId() : op.idempotencyKey,
        status: 'pending',
        attempts: 0,
        serverErrors: 0,
        nextAttemptAt: undefined,
        lastError: undefined,
        updatedAt: now,
      };
    });
    this.kick();
    return op;
  }

  /**
   * Gives an operation up. Operations chained behind a discarded create go
   * too; those behind an update or delete take over its expected version.
   * Returns the ids removed.
   */
  async discard(opId: string): Promise<string[]> {
    const removed = await this.opts.storage.mutate((ops) => {
      const op = ops.find((candidate) => candidate.opId === opId);
      if (op?.status === 'syncing') throw new Error(`operation ${opId} is in flight`);
      return dropped(ops, opId, this.opts.now());
    });
    void this.notify();
    return removed;
  }

  /**
   * Settles a conflict: `theirs` drops my change (like `discard`), `mine`
   * sends my patch again on top of the server's current version, `merge` does
   * the same with only the fields chosen as `mine`.
   */
  async resolveConflict(opId: string, resolution: ConflictResolution) {
    const ops = await this.opts.storage.load();
    const op = ops.find((candidate) => candidate.opId === opId);
    if (!op?.conflict) throw new Error(`operation ${opId} is not in conflict`);
    let data = op.data;
    switch (resolution.strategy) {
      case 'theirs':
        return { removed: await this.discard(opId), operation: undefined };
      case 'merge':
        if (op.action !== 'update') throw new Error('only updates merge per field');
        data = Object.fromEntries(
          Object.entries(op.data).filter(([field]) => resolution.fields[field] === 'mine'),
        );
        if (Object.keys(data).length === 0) {
          return { removed: await this.discard(opId), operation: undefined };
        }
        break;
      case 'mine':
        break;
      default: {
        const never: never = resolution;
        throw new Error(`unknown strategy ${JSON.stringify(never)}`);
      }
    }
    const version = op.conflict.theirs.version;
    const now = this.opts.now();
    const operation = await this.change(opId, (current) => {
      if (current.status !== 'conflict') throw new Error(`operation ${opId} is ${current.status}`);
      return {
        ...current,
        data,
        baseVersion: typeof version === 'number' ? version : current.baseVersion,
        // The old key holds the stored 409; the new request is a different one.
        idempotencyKey: this.opts.generateId(),
        status: 'pending',
        attempts: 0,
        serverErrors: 0,
        nextAttemptAt: undefined,
        lastError: undefined,
        conflict: undefined,
        updatedAt: now,
      };
    });
    this.kick();
    return { removed: [], operation };
  }

  private async change(opId: string, fn: (op: QueuedOperation) => QueuedOperation) {
    const op = await this.opts.storage.mutate((ops) => {
      const current = ops.find((candidate) => candidate.opId === opId);
      if (!current) throw new Error(`no queued operation ${opId}`);
      const next = fn(current);
      return { put: [next], result: next };
    });
    void this.notify();
    return op;
  }

  /**
   * One pass at a time. A call during a pass gets the next pass, which starts
   * when the current one ends (calls made meanwhile share it), so whatever was
   * queued before the call is attempted.
   */
  private runPass(respectBackoff: boolean): Promise<SyncSummary> {
    if (!this.running) {
      const pass = this.pass(respectBackoff).finally(() => {
        this.running = undefined;
      });
      this.running = pass;
      return pass;
    }
    this.followUpRespectsBackoff &&= respectBackoff;
    this.followUp ??= this.running
      .catch(() => undefined)
      .then(() => {
        const respect = this.followUpRespectsBackoff;
        this.followUp = undefined;
        this.followUpRespectsBackoff = true;
        return this.runPass(respect);
      });
    return this.followUp;
  }

  private async pass(respectBackoff: boolean): Promise<SyncSummary> {
    if (this.closed) return { ...emptySummary(), skipped: 'closed', stats: await this.getStats() };
    const { storage, locks, lockName, leaseTtlMs, now } = this.opts;
    const outcome = await withReplayLock(
      { locks, lockName, storage, owner: this.tabId, leaseTtlMs, now },
      (renew) =>
        replayPass(this.opts, {
          respectBackoff,
          renew,
          isClosed: () => this.closed,
          onChange: () => void this.notify(),
        }),
    );
    const stats = await this.getStats();
    if (outcome === LOCKED) {
      // Another tab replays; poll in case it goes away with work left.
      this.scheduleNext(undefined, stats);
      return { ...emptySummary(), skipped: 'locked', stats };
    }
    this.scheduleNext(outcome.nextAttemptAt, stats);
    return { ...outcome.summary, stats };
  }

  /** After a pass: retry at the backoff time, else poll while work is pending. */
  private scheduleNext(nextAttemptAt: number | undefined, stats: QueueStats) {
    if (!this.started || this.closed) return;
    const now = this.opts.now();
    if (nextAttemptAt !== undefined) {
      this.timer.arm(Math.max(0, nextAttemptAt - now));
    } else if (stats.pending + stats.syncing > 0 && this.opts.syncIntervalMs > 0) {
      this.timer.arm(this.opts.syncIntervalMs);
    }
  }

  private pollLater() {
    if (!this.started || this.closed || this.opts.syncIntervalMs <= 0) return;
    this.timer.arm(this.opts.syncIntervalMs);
  }

  /**
   * An automatic replay: only when started and online. The `online` event
   * ignores backoff waits (the reason for them is gone); other kicks respect them.
   */
  private kick(respectBackoff = true) {
    if (!this.started || this.closed || !this.opts.isOnline()) return;
    void this.runPass(respectBackoff).catch(() => this.pollLater());
  }

  private async notify(broadcast = true) {
    if (broadcast) this.channel?.postMessage('change');
    if (this.listeners.size === 0) return;
    const stats = await this.getStats().catch(() => undefined);
    if (!stats) return;
    for (const listener of this.listeners) listener(stats);
  }
}

function emptySummary(): Omit<SyncSummary, 'stats'> {
  return { attempted: 0, synced: 0, rejected: 0, conflicts: 0, retryScheduled: false };
}

/** Creates a queue; call `start()` for automatic replays. */
export function createOfflineQueue(options: OfflineQueueOptions = {}) {
  return new OfflineQueue(options);
}
