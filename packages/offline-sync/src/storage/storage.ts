import type { QueuedOperation } from '../types.ts';

/** The writes a `mutate()` callback asks for. */
export interface Mutation<T> {
  put?: QueuedOperation[];
  remove?: string[];
  result: T;
}

/**
 * Where the queue lives. Every change goes through `mutate()`, which must be
 * atomic against other tabs using the same storage (IndexedDB: one readwrite
 * transaction), so two tabs never interleave a read-modify-write.
 */
export interface QueueStorage {
  /** Every operation, in queue order (ascending `seq`). */
  load(): Promise<QueuedOperation[]>;
  /**
   * Reads every operation (queue order), hands them to `fn` and applies the
   * writes it returns, all at once. `fn` must be synchronous and pure.
   */
  mutate<T>(fn: (ops: QueuedOperation[]) => Mutation<T>): Promise<T>;
  /** A small persisted value (e.g. `lastSyncAt`). */
  getMeta<T>(key: string): Promise<T | undefined>;
  setMeta(key: string, value: unknown): Promise<void>;
  /**
   * Takes or renews the replay lease: succeeds when nobody holds it, the
   * holder's lease expired, or `owner` already holds it.
   */
  acquireLease(owner: string, ttlMs: number, now: number): Promise<boolean>;
  /** Gives the lease up if `owner` holds it. */
  releaseLease(owner: string): Promise<void>;
  close?(): Promise<void> | void;
}

/** A persisted replay lease. */
export interface Lease {
  owner: string;
  expiresAt: number;
}

export const LEASE_KEY = 'replay-lease';

/** The lease decision both storages share. */
export function leaseAfterAcquire(
  current: Lease | undefined,
  owner: string,
  ttlMs: number,
  now: number,
): Lease | undefined {
  if (current && current.owner !== owner && current.expiresAt > now) return undefined;
  return { owner, expiresAt: now + ttlMs };
}

export function bySeq(a: QueuedOperation, b: QueuedOperation) {
  return a.seq - b.seq;
}
