import { type DBSchema, deleteDB, type IDBPDatabase, openDB } from 'idb';
import type { QueuedOperation } from '../types.ts';
import {
  bySeq,
  LEASE_KEY,
  type Lease,
  leaseAfterAcquire,
  type Mutation,
  type QueueStorage,
} from './storage.ts';

/** The database every tab of the origin shares. */
export const DEFAULT_DATABASE_NAME = 'dynapharm-offline';

/** The database of one user's queue (`userId` unset: the origin's shared one). */
export function userDatabaseName(userId?: string) {
  return userId === undefined ? DEFAULT_DATABASE_NAME : `${DEFAULT_DATABASE_NAME}:${userId}`;
}

/**
 * Deletes what the terminal keeps of a user's queue (on their sign-out):
 * every operation not yet sent, with its data. Close the user's queue first;
 * open connections of other tabs close themselves (`blocking`).
 */
export async function deleteUserQueue(userId: string): Promise<void> {
  await deleteDB(userDatabaseName(userId));
}

interface OfflineSchema extends DBSchema {
  operations: { key: string; value: QueuedOperation };
  meta: { key: string; value: unknown };
}

export interface IndexedDbStorageOptions {
  /** @default 'dynapharm-offline' */
  databaseName?: string;
}

/**
 * Keeps the queue in IndexedDB (database `dynapharm-offline`), so queued writes
 * survive reloads, closed tabs and browser restarts. Each `mutate()` and lease
 * change is one readwrite transaction, which IndexedDB serialises across tabs.
 */
export class IndexedDbStorage implements QueueStorage {
  private readonly name: string;
  private db: Promise<IDBPDatabase<OfflineSchema>> | undefined;

  constructor(options: IndexedDbStorageOptions = {}) {
    this.name = options.databaseName ?? DEFAULT_DATABASE_NAME;
  }

  private open() {
    this.db ??= openDB<OfflineSchema>(this.name, 1, {
      upgrade(db) {
        db.createObjectStore('operations', { keyPath: 'opId' });
        db.createObjectStore('meta');
      },
      // Another tab wants a newer schema: get out of its way rather than block it.
      blocking: () => {
        void this.close();
      },
    });
    return this.db;
  }

  async load() {
    const db = await this.open();
    return (await db.getAll('operations')).sort(bySeq);
  }

  async mutate<T>(fn: (ops: QueuedOperation[]) => Mutation<T>) {
    const db = await this.open();
    const tx = db.transaction('operations', 'readwrite');
    const ops = (await tx.store.getAll()).sort(bySeq);
    let mutation: Mutation<T>;
    try {
      mutation = fn(ops);
    } catch (error) {
      tx.abort();
      await tx.done.catch(() => undefined);
      throw error;
    }
    // Requests are queued synchronously so the transaction stays alive.
    const writes: Promise<unknown>[] = [
      ...(mutation.remove ?? []).map((id) => tx.store.delete(id)),
      ...(mutation.put ?? []).map((op) => tx.store.put(op)),
    ];
    await Promise.all([...writes, tx.done]);
    return mutation.result;
  }

  async getMeta<T>(key: string) {
    const db = await this.open();
    return (await db.get('meta', key)) as T | undefined;
  }

  async setMeta(key: string, value: unknown) {
    const db = await this.open();
    await db.put('meta', value, key);
  }

  async acquireLease(owner: string, ttlMs: number, now: number) {
    const db = await this.open();
    const tx = db.transaction('meta', 'readwrite');
    const next = leaseAfterAcquire(
      (await tx.store.get(LEASE_KEY)) as Lease | undefined,
      owner,
      ttlMs,
      now,
    );
    await Promise.all([next ? tx.store.put(next, LEASE_KEY) : undefined, tx.done]);
    return next !== undefined;
  }

  async releaseLease(owner: string) {
    const db = await this.open();
    const tx = db.transaction('meta', 'readwrite');
    const current = (await tx.store.get(LEASE_KEY)) as Lease | undefined;
    await Promise.all([current?.owner === owner ? tx.store.delete(LEASE_KEY) : undefined, tx.done]);
  }

  async close() {
    const db = this.db;
    this.db = undefined;
    if (db) (await db).close();
  }
}
