import {
  type ChangeHandler,
  RealtimeClient,
  type RealtimeClientOptions,
} from '@dynapharm/realtime-client';
import { globalResources, type LiveChange, type ResourceName } from '@dynapharm/types';
import { type QueryResult, type ReplicaQuery, runQuery } from './query.ts';
import {
  indexedField,
  inScope,
  type ReplicaScope,
  type StoredRow,
  type StreamPosition,
  sameScope,
  scopeWidened,
  toStoredRow,
} from './rows.ts';
import { fetchSnapshot, type Snapshot, SnapshotError } from './snapshot.ts';
import {
  databaseNameFor,
  IndexedDbReplicaStore,
  type ReplicaMeta,
  type ReplicaStore,
} from './store.ts';

/** What the replica needs of a RealtimeClient (tests pass a fake). */
export interface ReplicaClient {
  on(event: '*', handler: ChangeHandler): unknown;
  off(event: '*', handler: ChangeHandler): unknown;
  onConnect(handler: (info: { replicaId?: string }) => void): () => unknown;
  onDisconnect(handler: (reason: string) => void): () => unknown;
  onResync(handler: (head: number) => void): () => unknown;
  subscribe(channels: string[]): Promise<unknown>;
  connect(): Promise<void>;
  disconnect(): void;
  readonly lastOffset: number;
  readonly epoch: string | undefined;
  readonly isConnected: boolean;
}

export type ReplicaState =
  /** Opening the database. */
  | 'starting'
  /** Loading a snapshot (no data yet, a new epoch, or a wider scope). */
  | 'snapshotting'
  /** Connected or connecting, fetching what was missed. */
  | 'catching-up'
  /** Live: caught up and receiving changes. */
  | 'online'
  /** No connection; queries answer from the device. */
  | 'offline'
  | 'stopped';

export interface ReplicaStatus {
  state: ReplicaState;
  /** The device holds a complete snapshot (possibly old): lists can render from it. */
  hasData: boolean;
  offset: number | null;
  epoch: string | null;
  /** When the device last knew it had all the server had (epoch ms); null before the first snapshot. */
  lastSyncedAt: number | null;
  /** The last storage or sync failure (a full disk is `QuotaExceededError`); cleared by the next success. */
  error: { name: string; message: string; at: number } | null;
}

/** A batch of rows that changed, for lists to re-query. `reset`: everything may have changed. */
export interface ReplicaChange {
  resource: ResourceName;
  ids: string[];
  reset: boolean;
}

export interface ReplicaOptions {
  /** The signed-in user: the database is theirs alone (`dynapharm-replica:<userId>`). */
  userId: string;
  /** The token's role and branches; rows outside them are purged from the device. */
  scope: ReplicaScope;
  /** Resources to keep on the device. */
  resources: readonly ResourceName[];
  /** Bearer token, read fresh for each request and (re)connect. */
  token: () => string | undefined | Promise<string | undefined>;
  /** Base URL of the API. @default '' (same origin) */
  apiUrl?: string;
  /** Gateway URL(s) for the RealtimeClient. @default the page's origin */
  wsUrl?: string | string[];
  /** Extra RealtimeClient options (path, device id, …). */
  clientOptions?: Partial<RealtimeClientOptions>;
  /** @default globalThis.fetch */
  fetch?: typeof fetch;
  /** @default an IndexedDB store named after the user */
  store?: ReplicaStore;
  /** @default a RealtimeClient */
  createClient?: (options: RealtimeClientOptions) => ReplicaClient;
  /** Rows per snapshot page (the API allows up to 1000). @default 1000 */
  snapshotPageSize?: number;
  /** Delay between snapshot attempts while the API is unreachable. @default 1000 and 30000 */
  retryDelayMs?: { min: number; max: number };
  /** Called with every storage or sync failure, as well as recorded in `status.error`. */
  onError?: (error: Error) => void;
  /** @default Date.now */
  now?: () => number;
}

const WRITE_RETRY_MS = 5_000;

type ChangeListener = (change: ReplicaChange) => void;

/**
 * The signed-in user's rows on this device, in IndexedDB, kept current from a
 * snapshot, catch-up and live events. Pages query it instead of the API, so
 * they render at once and keep working offline (docs/architecture.md §3.4,
 * §3.5 for the stream position it keeps).
 *
 * @example
 * const replica = new Replica({ userId, scope, resources: ['clients'], token });
 * await replica.start();
 * replica.subscribe('clients', () => render());
 * const { items } = await replica.query('clients', { branchId, limit: 25 });
 */
export class Replica {
  readonly store: ReplicaStore;
  private readonly opts: ReplicaOptions;
  private scope: ReplicaScope;
  private client: ReplicaClient | undefined;
  private position: StreamPosition | undefined;
  private current: ReplicaStatus = {
    state: 'starting',
    hasData: false,
    offset: null,
    epoch: null,
    lastSyncedAt: null,
    error: null,
  };
  private readonly statusListeners = new Set<(status: ReplicaStatus) => void>();
  private readonly changeListeners = new Map<ResourceName | '*', Set<ChangeListener>>();
  private readonly clientListeners = new Set<(client: ReplicaClient) => void>();
  private readonly cleanups: (() => unknown)[] = [];
  private pending: LiveChange[] = [];
  private flushQueued = false;
  private writes: Promise<void> = Promise.resolve();
  /** Live events held while a re-snapshot runs. */
  private held: LiveChange[] | undefined;
  private snapshotting: Promise<void> | undefined;
  /** True from the start of a re-snapshot until its rows are stored. */
  private snapshotActive = false;
  private stopped = false;
  private wake: (() => void) | undefined;
  private markReady!: () => void;
  /** Resolves once queries answer from a complete snapshot (at once on a warm start). */
  readonly ready: Promise<void>;
  /** Size of the last snapshot (for the benchmarks). */
  lastSnapshot: { rows: number; bytes: number; pages: number; ms: number } | undefined;

  constructor(options: ReplicaOptions) {
    this.opts = options;
    this.scope = { role: options.scope.role, branches: options.scope.branches.map(lower) };
    this.store = options.store ?? new IndexedDbReplicaStore(databaseNameFor(options.userId));
    this.ready = new Promise((resolve) => {
      this.markReady = resolve;
    });
  }

  get status(): ReplicaStatus {
    return this.current;
  }

  /** The RealtimeClient behind the replica, once started (after the first snapshot on a cold start). */
  get realtime(): ReplicaClient | undefined {
    return this.client;
  }

  /** Calls `listener` when the RealtimeClient exists (now, if it does already). */
  onRealtime(listener: (client: ReplicaClient) => void): () => void {
    this.clientListeners.add(listener);
    if (this.client) listener(this.client);
    return () => this.clientListeners.delete(listener);
  }

  onStatus(listener: (status: ReplicaStatus) => void): () => void {
    this.statusListeners.add(listener);
    return () => this.statusListeners.delete(listener);
  }

  /** Calls `listener` after rows of `resource` (or `'*'`: any) changed on the device. */
  subscribe(resource: ResourceName | '*', listener: ChangeListener): () => void {
    let set = this.changeListeners.get(resource);
    if (!set) {
      set = new Set();
      this.changeListeners.set(resource, set);
    }
    set.add(listener);
    return () => set.delete(listener);
  }

  /**
   * Opens the device's copy and starts syncing. Warm start (a snapshot is on
   * the device): queries answer at once and the RealtimeClient resumes from
   * the stored position. Cold start: snapshot first, then live from its position.
   */
  async start(): Promise<this> {
    let meta: ReplicaMeta;
    try {
      meta = await this.store.meta();
      if (meta.scope && !sameScope(meta.scope, this.scope)) {
        await this.purgeOutside(this.scope);
      } else if (!meta.scope) {
        await this.store.apply([], { scope: this.scope });
      }
    } catch (err) {
      this.report(err);
      meta = {};
    }
    if (this.stopped) return this;
    this.position = meta.position;
    const widened = meta.scope !== undefined && scopeWidened(meta.scope, this.scope);
    this.setStatus({
      hasData: meta.position !== undefined,
      offset: meta.position?.offset ?? null,
      epoch: meta.position?.epoch ?? null,
      lastSyncedAt: meta.lastSyncedAt ?? null,
    });
    if (meta.position && !widened) {
      this.markReady();
      this.startClient(meta.position);
    } else {
      if (meta.position) this.markReady();
      void this.resnapshot();
    }
    return this;
  }

  /** Rows of a resource in the user's scope, filtered, sorted and paged on the device. */
  async query<T = Record<string, unknown>>(
    resource: ResourceName,
    query: ReplicaQuery<T> = {},
  ): Promise<QueryResult<T>> {
    const fieldName = indexedField[resource];
    const cond = fieldName ? query.where?.[fieldName] : undefined;
    const range =
      cond === undefined || cond === ''
        ? undefined
        : typeof cond === 'string'
          ? { equals: cond }
          : cond;
    const branchId =
      globalResources.has(resource) || !query.branchId ? undefined : query.branchId.toLowerCase();
    // A page of one branch (or of the global rows) newest or oldest first, with
    // no condition but the branch: the `createdAt` index reads just that page.
    const plain =
      !query.filter && Object.values(query.where ?? {}).every((c) => c === undefined || c === '');
    const paged = globalResources.has(resource) ? '' : branchId;
    if (
      plain &&
      query.sort?.by === 'createdAt' &&
      query.limit !== undefined &&
      paged !== undefined
    ) {
      const { rows, total } = await this.store.page(
        resource,
        paged,
        query.sort.dir ?? 'desc',
        query.offset ?? 0,
        query.limit,
      );
      return { items: rows.map((r) => r.record as T), total };
    }
    const rows = await this.store.rows(resource, branchId, range);
    return runQuery(
      rows.map((r) => r.record as T & Record<string, unknown>),
      query as ReplicaQuery<T & Record<string, unknown>>,
    );
  }

  async get<T = Record<string, unknown>>(
    resource: ResourceName,
    id: string,
  ): Promise<T | undefined> {
    return (await this.store.get(resource, id))?.record as T | undefined;
  }

  /**
   * Stores records the page got from the API (say, the answer to its own
   * write), by version like any change, so the row is there before its event.
   */
  putRecords(resource: ResourceName, records: Record<string, unknown>[]): Promise<void> {
    const rows = records.flatMap((r) => {
      const row = toStoredRow(resource, r);
      return row && inScope(this.scope, row.branchId) ? [row] : [];
    });
    return this.enqueueWrite(async () => {
      this.notify(await this.store.apply(rows));
    });
  }

  /**
   * The token changed: rows of branches it no longer has leave the device at
   * once; a wider scope (or another role) takes a new snapshot.
   */
  async setScope(scope: ReplicaScope): Promise<void> {
    const next = { role: scope.role, branches: scope.branches.map(lower) };
    if (sameScope(next, this.scope)) return;
    const previous = this.scope;
    this.scope = next;
    await this.enqueueWrite(() => this.purgeOutside(next));
    if (scopeWidened(previous, next)) await this.resnapshot();
  }

  /** Takes a new snapshot and replaces every row in one transaction (readers see old or new, never a mix). */
  resnapshot(): Promise<void> {
    this.snapshotting ??= this.runResnapshot().finally(() => {
      this.snapshotting = undefined;
    });
    return this.snapshotting;
  }

  /** Disconnects and closes the database; the data stays for the next start. */
  async stop(): Promise<void> {
    this.shutdown();
    await this.writes.catch(() => undefined);
    this.store.close();
  }

  /** Sign-out: disconnects and deletes the user's database, so the next user of the browser cannot read it. */
  async destroy(): Promise<void> {
    this.shutdown();
    await this.writes.catch(() => undefined);
    await this.store.destroy();
  }

  private shutdown() {
    this.stopped = true;
    this.wake?.();
    for (const cleanup of this.cleanups.splice(0)) cleanup();
    this.client?.disconnect();
    this.setStatus({ state: 'stopped' });
  }

  private async runResnapshot() {
    this.held = this.client ? [] : undefined;
    this.snapshotActive = true;
    this.setStatus({ state: 'snapshotting' });
    // Batches already delivered belong to the history being replaced; let them land first.
    await this.writes.catch(() => undefined);
    const snapshot = await this.snapshotUntilDone();
    this.snapshotActive = false;
    if (!snapshot) return;
    const held = this.held ?? [];
    this.held = undefined;
    this.markReady();
    this.notifyAll();
    if (!this.client) {
      this.startClient(snapshot.position);
      return;
    }
    // Events at or before the snapshot's offset are in it already; applying
    // them again could bring back a row the snapshot no longer has.
    const later = held.filter((e) => !('offset' in e) || e.offset > snapshot.position.offset);
    if (later.length > 0) this.enqueue(later);
    this.setStatus({ state: this.client.isConnected ? 'online' : 'catching-up' });
  }

  private async snapshotUntilDone(): Promise<Snapshot | undefined> {
    const { min, max } = this.opts.retryDelayMs ?? { min: 1_000, max: 30_000 };
    for (let attempt = 0; !this.stopped; attempt++) {
      const started = this.now();
      try {
        const snapshot = await fetchSnapshot({
          apiUrl: this.opts.apiUrl ?? '',
          resources: this.opts.resources,
          token: async () => await this.opts.token(),
          fetch: this.opts.fetch ?? globalThis.fetch.bind(globalThis),
          pageSize: this.opts.snapshotPageSize ?? 1_000,
          timeoutMs: 30_000,
        });
        if (this.stopped) return undefined;
        const rows = snapshot.rows.filter((r) => inScope(this.scope, r.branchId));
        const at = this.now();
        await this.enqueueWrite(() =>
          this.store.replaceAll(rows, {
            position: snapshot.position,
            lastSyncedAt: at,
            scope: this.scope,
          }),
        );
        this.position = snapshot.position;
        this.lastSnapshot = {
          rows: rows.length,
          bytes: snapshot.bytes,
          pages: snapshot.pages,
          ms: this.now() - started,
        };
        this.setStatus({
          hasData: true,
          offset: snapshot.position.offset,
          epoch: snapshot.position.epoch,
          lastSyncedAt: at,
          error: null,
        });
        return snapshot;
      } catch (err) {
        if (this.stopped) return undefined;
        this.report(err);
        if (err instanceof SnapshotError && err.transient) this.setStatus({ state: 'offline' });
        await this.sleep(Math.min(max, min * 2 ** Math.min(attempt, 10)));
        this.setStatus({ state: 'snapshotting' });
      }
    }
    return undefined;
  }

  private startClient(position: StreamPosition) {
    if (this.stopped || this.client) return;
    const options: RealtimeClientOptions = {
      wsUrl: this.opts.wsUrl ?? originOf(),
      token: async () => (await this.opts.token()) ?? '',
      ...(this.opts.apiUrl ? { apiUrl: this.opts.apiUrl } : {}),
      ...(this.opts.fetch ? { fetch: this.opts.fetch } : {}),
      ...this.opts.clientOptions,
      initialOffset: position.offset,
      initialEpoch: position.epoch,
    };
    const client = this.opts.createClient?.(options) ?? new RealtimeClient(options);
    this.client = client;
    const onChange: ChangeHandler = (_data, event) => {
      if (this.held) this.held.push(event);
      else this.enqueue([event]);
    };
    client.on('*', onChange);
    this.cleanups.push(
      () => client.off('*', onChange),
      client.onConnect(() => {
        if (this.snapshotActive) return;
        this.setStatus({ state: 'online', lastSyncedAt: this.now() });
        // Catch-up may have moved the offset without delivering anything to store.
        this.enqueue([]);
      }),
      client.onDisconnect(() => {
        if (!this.snapshotActive) this.setStatus({ state: 'offline' });
      }),
      client.onResync(() => void this.resnapshot()),
    );
    this.setStatus({ state: 'catching-up' });
    void client.subscribe([...this.opts.resources]);
    client.connect().catch((err: unknown) => this.report(err));
    for (const listener of this.clientListeners) listener(client);
  }

  private enqueue(events: LiveChange[]) {
    this.pending.push(...events);
    if (this.flushQueued) return;
    this.flushQueued = true;
    void this.enqueueWrite(() => this.flush());
  }

  private enqueueWrite(write: () => Promise<void>): Promise<void> {
    const run = this.writes.then(write);
    this.writes = run.catch(() => undefined);
    return run;
  }

  private async flush() {
    this.flushQueued = false;
    if (this.stopped) return;
    const batch = this.pending;
    this.pending = [];
    const rows = batch.flatMap((e) => {
      const row = toStoredRow(
        e.resource,
        {
          ...e.data,
          id: e.id,
          version: e.version,
          branchId: e.branchId ?? e.data.branchId ?? null,
        },
        e.action === 'deleted',
      );
      return row && inScope(this.scope, row.branchId) ? [row] : [];
    });
    const meta: ReplicaMeta = {};
    const position = this.advancedPosition();
    if (position) meta.position = position;
    const connected = this.client?.isConnected === true && !this.snapshotActive;
    const at = this.now();
    if (connected) meta.lastSyncedAt = at;
    try {
      const applied = await this.store.apply(rows, meta);
      if (position) this.position = position;
      this.setStatus({
        offset: this.position?.offset ?? null,
        epoch: this.position?.epoch ?? null,
        ...(connected ? { lastSyncedAt: at } : {}),
        error: null,
      });
      this.notify(applied);
    } catch (err) {
      this.report(err);
      // Rows and position share the transaction, so nothing was half-stored:
      // keep the batch and try again (a full disk may have room later).
      this.pending = [...batch, ...this.pending];
      setTimeout(
        () => {
          if (!this.stopped && !this.flushQueued) this.enqueue([]);
        },
        Math.min(WRITE_RETRY_MS, this.opts.retryDelayMs?.max ?? WRITE_RETRY_MS),
      );
    }
  }

  /** The client's position when it is ahead of the stored one in the same history. */
  private advancedPosition(): StreamPosition | undefined {
    const client = this.client;
    if (!client?.epoch || this.held) return undefined;
    const stored = this.position;
    if (stored && (client.epoch !== stored.epoch || client.lastOffset <= stored.offset))
      return undefined;
    return { offset: client.lastOffset, epoch: client.epoch };
  }

  private async purgeOutside(scope: ReplicaScope) {
    const removed = await this.store.purge((branchId) => inScope(scope, branchId), { scope });
    const byResource = new Map<ResourceName, string[]>();
    for (const row of removed)
      byResource.set(row.resource, [...(byResource.get(row.resource) ?? []), row.id]);
    for (const [resource, ids] of byResource) this.emit({ resource, ids, reset: false });
  }

  private notify(rows: readonly StoredRow[]) {
    const byResource = new Map<ResourceName, string[]>();
    for (const row of rows)
      byResource.set(row.resource, [...(byResource.get(row.resource) ?? []), row.id]);
    for (const [resource, ids] of byResource) this.emit({ resource, ids, reset: false });
  }

  private notifyAll() {
    for (const resource of this.opts.resources) this.emit({ resource, ids: [], reset: true });
  }

  private emit(change: ReplicaChange) {
    for (const key of [change.resource, '*'] as const) {
      for (const listener of this.changeListeners.get(key) ?? []) {
        try {
          listener(change);
        } catch (err) {
          queueMicrotask(() => {
            throw err;
          });
        }
      }
    }
  }

  private setStatus(patch: Partial<ReplicaStatus>) {
    if (this.current.state === 'stopped' && patch.state !== undefined) return;
    this.current = { ...this.current, ...patch };
    for (const listener of this.statusListeners) listener(this.current);
  }

  private report(err: unknown) {
    const error = err instanceof Error ? err : new Error(String(err));
    const name = (err as { name?: string })?.name ?? 'Error';
    this.setStatus({ error: { name, message: error.message, at: this.now() } });
    this.opts.onError?.(error);
  }

  private sleep(ms: number) {
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        globalThis.removeEventListener?.('online', done);
        this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      // The network coming back is worth an attempt right away.
      globalThis.addEventListener?.('online', done);
      this.wake = done;
    });
  }

  private now() {
    return (this.opts.now ?? Date.now)();
  }
}

const lower = (s: string) => s.toLowerCase();

function originOf(): string {
  return (globalThis as { location?: { origin: string } }).location?.origin ?? 'http://localhost';
}

/**
 * Deletes the replicas of every user but `keepUserId` (all when absent): a
 * shared terminal keeps one user's data at most, even when nobody signed out.
 */
export async function deleteOtherReplicas(keepUserId?: string): Promise<string[]> {
  const factory = (globalThis as { indexedDB?: IDBFactory }).indexedDB;
  if (!factory?.databases) return [];
  const keep = keepUserId === undefined ? undefined : databaseNameFor(keepUserId);
  const names = (await factory.databases())
    .map((d) => d.name ?? '')
    .filter((n) => n.startsWith(databaseNameFor('')) && n !== keep);
  for (const name of names) await new IndexedDbReplicaStore(name).destroy();
  return names;
}
