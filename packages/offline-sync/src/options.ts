import { type BackoffOptions, defaultBackoff } from './backoff.ts';
import { IndexedDbStorage, userDatabaseName } from './storage/indexeddb-storage.ts';
import { MemoryStorage } from './storage/memory-storage.ts';
import type { QueueStorage } from './storage/storage.ts';
import { defaultLocks, type LockManagerLike } from './tab-lock.ts';
import { uuidv7 } from './uuid.ts';

type MaybePromise<T> = T | Promise<T>;

/** Timer functions, injectable for tests. */
export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Something that fires `online` events (a `window`). */
export interface OnlineEventSource {
  addEventListener(type: 'online', listener: () => void): void;
  removeEventListener(type: 'online', listener: () => void): void;
}

export interface OfflineQueueOptions {
  /** Base URL of the API (`https://branch.example`); requests go to `<apiUrl>/api/<resource>`. @default '' (same origin) */
  apiUrl?: string;
  /** Bearer token, or a function returning a fresh one before each request. @default none */
  token?: string | (() => MaybePromise<string | null | undefined>);
  /**
   * The signed-in user whose queue this is (a shared terminal). Their
   * operations live in an IndexedDB database, Web Lock and BroadcastChannel of
   * their own, and are sent only with a JWT whose `sub` is this user: while
   * someone else is signed in, nothing is sent and the operations wait.
   * @default none (one queue per origin, sent with any token)
   */
  userId?: string;
  /** Injected `fetch` (tests, wrappers). @default globalThis.fetch */
  fetch?: typeof fetch;
  /**
   * Where the queue persists. A storage passed in is not closed by `close()`.
   * @default IndexedDbStorage when `indexedDB` exists, else MemoryStorage
   */
  storage?: QueueStorage;
  /** Retry delays and the bound on server failures. @default 1 s doubling to 60 s, 10 server failures */
  backoff?: BackoffOptions;
  /** Sync this often while work is pending (0 disables). @default 30000 */
  syncIntervalMs?: number;
  /** A request that takes longer is abandoned and retried with the same key. @default 30000 */
  requestTimeoutMs?: number;
  /** Web Locks used to let one tab replay at a time; `null` uses the storage lease. @default navigator.locks */
  locks?: LockManagerLike | null;
  /** Name of the Web Lock. @default 'dynapharm-offline-sync' */
  lockName?: string;
  /** Lifetime of the storage lease (fallback when Web Locks are missing); keep it above `requestTimeoutMs`. @default 60000 */
  leaseTtlMs?: number;
  /** Fires `online` to trigger a replay. @default window, when there is one */
  onlineEvents?: OnlineEventSource | null;
  /** Skips automatic replays while this says offline. @default () => navigator.onLine ?? true */
  isOnline?: () => boolean;
  /** Start a replay right after `queueOperation()` (when started and online). @default true */
  syncOnQueue?: boolean;
  /** Name of the BroadcastChannel that tells other tabs the queue changed; `null` disables. @default 'dynapharm-offline-sync' in browsers, null elsewhere */
  broadcastChannel?: string | null;
  /** Generates record ids, idempotency keys and operation ids. @default UUIDv7 */
  generateId?: () => string;
  /** Clock (epoch ms). @default Date.now */
  now?: () => number;
  /** Jitter source in [0, 1). @default Math.random */
  random?: () => number;
  /** @default globalThis.setTimeout / clearTimeout */
  timers?: Timers;
}

export interface ResolvedOptions {
  apiUrl: string;
  token: () => Promise<string | undefined>;
  /** Operations are sent only with a token: `token` yields none for another user. */
  tokenRequired: boolean;
  fetch: typeof fetch;
  storage: QueueStorage;
  backoff: Required<BackoffOptions>;
  syncIntervalMs: number;
  requestTimeoutMs: number;
  locks: LockManagerLike | null;
  lockName: string;
  leaseTtlMs: number;
  onlineEvents: OnlineEventSource | null;
  isOnline: () => boolean;
  syncOnQueue: boolean;
  broadcastChannel: string | null;
  generateId: () => string;
  now: () => number;
  random: () => number;
  timers: Timers;
}

export const DEFAULT_LOCK_NAME = 'dynapharm-offline-sync';

interface BrowserGlobals {
  window?: OnlineEventSource;
  navigator?: { onLine?: boolean };
  indexedDB?: unknown;
}

/** Every default in one place. */
export function resolveOptions(options: OfflineQueueOptions): ResolvedOptions {
  const g = globalThis as BrowserGlobals;
  const now = options.now ?? Date.now;
  const token = options.token;
  const { userId } = options;
  const scoped = (name: string) => (userId === undefined ? name : `${name}:${userId}`);
  const current = async () =>
    typeof token === 'function' ? ((await token()) ?? undefined) : token;
  return {
    apiUrl: options.apiUrl ?? '',
    token:
      userId === undefined
        ? current
        : async () => {
            const value = await current();
            return value !== undefined && tokenSubject(value) === userId ? value : undefined;
          },
    tokenRequired: userId !== undefined,
    fetch: options.fetch ?? ((input, init) => globalThis.fetch(input, init)),
    storage:
      options.storage ??
      (g.indexedDB !== undefined
        ? new IndexedDbStorage({ databaseName: userDatabaseName(userId) })
        : new MemoryStorage()),
    backoff: { ...defaultBackoff, ...options.backoff },
    syncIntervalMs: options.syncIntervalMs ?? 30_000,
    requestTimeoutMs: options.requestTimeoutMs ?? 30_000,
    locks: options.locks === undefined ? defaultLocks() : options.locks,
    lockName: options.lockName ?? scoped(DEFAULT_LOCK_NAME),
    leaseTtlMs: options.leaseTtlMs ?? 60_000,
    onlineEvents: options.onlineEvents === undefined ? (g.window ?? null) : options.onlineEvents,
    isOnline: options.isOnline ?? (() => g.navigator?.onLine ?? true),
    syncOnQueue: options.syncOnQueue ?? true,
    broadcastChannel:
      options.broadcastChannel === undefined
        ? g.window !== undefined
          ? scoped(DEFAULT_LOCK_NAME)
          : null
        : options.broadcastChannel,
    generateId: options.generateId ?? (() => uuidv7(now())),
    now,
    random: options.random ?? Math.random,
    timers: options.timers ?? {
      setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
      clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof setTimeout>),
    },
  };
}

/** The `sub` of a JWT (read, not verified: the server verifies), or undefined. */
export function tokenSubject(token: string): string | undefined {
  const payload = token.split('.')[1];
  if (!payload) return undefined;
  try {
    const json = atob(payload.replace(/-/g, '+').replace(/_/g, '/'));
    const sub: unknown = JSON.parse(json).sub;
    return typeof sub === 'string' ? sub : undefined;
  } catch {
    return undefined;
  }
}
