import type { ResourceName } from '@dynapharm/types';
import { type DBSchema, deleteDB, type IDBPDatabase, openDB } from 'idb';
import type { ReplicaScope, StoredRow, StreamPosition } from './rows.ts';

/** What the replica remembers besides rows; written in the same transaction as the rows it describes. */
export interface ReplicaMeta {
  position?: StreamPosition;
  /** When the device last knew it had everything the server had (epoch ms). */
  lastSyncedAt?: number | null;
  scope?: ReplicaScope;
}

/** A range on the resource's indexed field: one value, or `from`..`to` inclusive. */
export interface FieldRange {
  equals?: string;
  from?: string;
  to?: string;
}

/** Where a replica keeps its rows. One implementation; tests wrap it to inject failures. */
export interface ReplicaStore {
  readonly name: string;
  meta(): Promise<ReplicaMeta>;
  /** Puts rows whose version is newer than the stored one; returns those it put. */
  apply(rows: readonly StoredRow[], meta?: ReplicaMeta): Promise<StoredRow[]>;
  /** Replaces every row in one transaction: a reader sees the old set or the new one. */
  replaceAll(rows: readonly StoredRow[], meta: ReplicaMeta): Promise<void>;
  /** Deletes rows (tombstones too) whose branch fails `keep`; returns the live ones removed. */
  purge(keep: (branchId: string) => boolean, meta?: ReplicaMeta): Promise<StoredRow[]>;
  /** Live (not deleted) rows of a resource, optionally of one branch and a range of its indexed field. */
  rows(resource: ResourceName, branchId?: string, field?: FieldRange): Promise<StoredRow[]>;
  /**
   * One page of a branch's live rows of a resource by `createdAt` (ties by id),
   * read through an index: a list's first page costs `limit` rows, not the branch.
   */
  page(
    resource: ResourceName,
    branchId: string,
    dir: 'asc' | 'desc',
    offset: number,
    limit: number,
  ): Promise<{ rows: StoredRow[]; total: number }>;
  get(resource: ResourceName, id: string): Promise<StoredRow | undefined>;
  close(): void;
  /** Closes and deletes the database. */
  destroy(): Promise<void>;
}

interface ReplicaSchema extends DBSchema {
  rows: {
    key: string;
    value: StoredRow;
    indexes: {
      branch: [string, string];
      field: [string, string];
      branchField: [string, string, string];
      branchCreated: [string, string, number, string];
    };
  };
  meta: { key: string; value: ReplicaMeta };
}

const META_KEY = 'state';

/** Prefix of every replica database; the rest is the user id. */
export const DATABASE_PREFIX = 'dynapharm-replica:';

export function databaseNameFor(userId: string): string {
  return `${DATABASE_PREFIX}${userId}`;
}

function fieldRange(prefix: string[], range: FieldRange | undefined): IDBKeyRange {
  if (range?.equals !== undefined) return IDBKeyRange.only([...prefix, range.equals]);
  // '\uffff' sorts after every string a field holds.
  return IDBKeyRange.bound([...prefix, range?.from ?? ''], [...prefix, range?.to ?? '\uffff']);
}

export class IndexedDbReplicaStore implements ReplicaStore {
  private db: Promise<IDBPDatabase<ReplicaSchema>> | undefined;

  constructor(readonly name: string) {}

  private open() {
    this.db ??= openDB<ReplicaSchema>(this.name, 2, {
      async upgrade(db, oldVersion, _newVersion, tx) {
        if (oldVersion < 1) {
          const rows = db.createObjectStore('rows', { keyPath: 'key' });
          rows.createIndex('branch', ['resource', 'branchId']);
          rows.createIndex('field', ['resource', 'field']);
          rows.createIndex('branchField', ['resource', 'branchId', 'field']);
          db.createObjectStore('meta');
        }
        if (oldVersion < 2) {
          const rows = tx.objectStore('rows');
          rows.createIndex('branchCreated', ['resource', 'branchId', 'deleted', 'createdAt']);
          // Rows stored by version 1 get the indexed copy of their createdAt.
          let cursor = await rows.openCursor();
          while (cursor) {
            const row = cursor.value;
            if (row.createdAt === undefined) {
              await cursor.update({ ...row, createdAt: String(row.record.createdAt ?? '') });
            }
            cursor = await cursor.continue();
          }
        }
      },
      // A deletion (sign-out in another tab) or a newer schema waits for us: let go.
      blocking: () => this.close(),
      terminated: () => {
        this.db = undefined;
      },
    });
    return this.db;
  }

  async meta() {
    const db = await this.open();
    return (await db.get('meta', META_KEY)) ?? {};
  }

  async apply(rows: readonly StoredRow[], meta?: ReplicaMeta) {
    const db = await this.open();
    const tx = db.transaction(['rows', 'meta'], 'readwrite');
    const store = tx.objectStore('rows');
    const current = await Promise.all(rows.map((r) => store.get(r.key)));
    const put: StoredRow[] = [];
    const newest = new Map<string, StoredRow>();
    rows.forEach((row, i) => {
      const seen = newest.get(row.key) ?? current[i];
      if (seen && seen.version >= row.version) return;
      newest.set(row.key, row);
    });
    const writes: Promise<unknown>[] = [];
    for (const row of newest.values()) {
      put.push(row);
      writes.push(store.put(row));
    }
    if (meta) writes.push(this.mergeMeta(tx.objectStore('meta'), meta));
    await Promise.all([...writes, tx.done]);
    return put;
  }

  async replaceAll(rows: readonly StoredRow[], meta: ReplicaMeta) {
    const db = await this.open();
    const tx = db.transaction(['rows', 'meta'], 'readwrite');
    const store = tx.objectStore('rows');
    const writes: Promise<unknown>[] = [store.clear()];
    for (const row of rows) writes.push(store.put(row));
    writes.push(this.mergeMeta(tx.objectStore('meta'), meta));
    await Promise.all([...writes, tx.done]);
  }

  async purge(keep: (branchId: string) => boolean, meta?: ReplicaMeta) {
    const db = await this.open();
    const tx = db.transaction(['rows', 'meta'], 'readwrite');
    const removed: StoredRow[] = [];
    const writes: Promise<unknown>[] = [];
    let cursor = await tx.objectStore('rows').openCursor();
    while (cursor) {
      if (!keep(cursor.value.branchId)) {
        if (!cursor.value.deleted) removed.push(cursor.value);
        writes.push(cursor.delete());
      }
      cursor = await cursor.continue();
    }
    if (meta) writes.push(this.mergeMeta(tx.objectStore('meta'), meta));
    await Promise.all([...writes, tx.done]);
    return removed;
  }

  async rows(resource: ResourceName, branchId?: string, field?: FieldRange) {
    const db = await this.open();
    let rows: StoredRow[];
    if (field && branchId !== undefined) {
      rows = await db.getAllFromIndex(
        'rows',
        'branchField',
        fieldRange([resource, branchId], field),
      );
    } else if (field) {
      rows = await db.getAllFromIndex('rows', 'field', fieldRange([resource], field));
    } else if (branchId !== undefined) {
      rows = await db.getAllFromIndex('rows', 'branch', IDBKeyRange.only([resource, branchId]));
    } else {
      rows = await db.getAllFromIndex(
        'rows',
        'branch',
        IDBKeyRange.bound([resource], [resource, '\uffff']),
      );
    }
    return rows.filter((r) => r.deleted === 0);
  }

  async page(
    resource: ResourceName,
    branchId: string,
    dir: 'asc' | 'desc',
    offset: number,
    limit: number,
  ) {
    const db = await this.open();
    const index = db.transaction('rows').store.index('branchCreated');
    // '\uffff' sorts after every timestamp; deleted = 0 keeps tombstones out.
    const range = IDBKeyRange.bound([resource, branchId, 0, ''], [resource, branchId, 0, '\uffff']);
    const total = await index.count(range);
    const rows: StoredRow[] = [];
    let cursor = await index.openCursor(range, dir === 'desc' ? 'prev' : 'next');
    if (cursor && offset > 0) cursor = await cursor.advance(offset);
    while (cursor && rows.length < limit) {
      rows.push(cursor.value);
      cursor = await cursor.continue();
    }
    return { rows, total };
  }

  async get(resource: ResourceName, id: string) {
    const db = await this.open();
    const row = await db.get('rows', `${resource}:${id.toLowerCase()}`);
    return row && row.deleted === 0 ? row : undefined;
  }

  close() {
    const db = this.db;
    this.db = undefined;
    void db?.then((d) => d.close()).catch(() => undefined);
  }

  async destroy() {
    const db = this.db;
    this.db = undefined;
    if (db) (await db.catch(() => undefined))?.close();
    await deleteDB(this.name);
  }

  private async mergeMeta(
    store: {
      get(key: string): Promise<ReplicaMeta | undefined>;
      put(v: ReplicaMeta, k: string): Promise<string>;
    },
    meta: ReplicaMeta,
  ) {
    const current = (await store.get(META_KEY)) ?? {};
    await store.put({ ...current, ...meta }, META_KEY);
  }
}
