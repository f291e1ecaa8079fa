import type { ResourceName, Role } from '@dynapharm/types';

/** A record as the replica keeps it: the API's JSON plus what the indexes need. */
export interface StoredRow {
  /** `<resource>:<id>`. */
  key: string;
  resource: ResourceName;
  id: string;
  /** `''` for rows of no branch (products): IndexedDB cannot index null. */
  branchId: string;
  version: number;
  /** 1 for a tombstone: kept so an older version of a deleted row cannot come back. */
  deleted: 0 | 1;
  /** The value of the resource's indexed field (see `indexedField`), `''` when it has none. */
  field: string;
  /** `record.createdAt`, for the index that pages lists newest first without reading the branch. */
  createdAt: string;
  record: Record<string, unknown>;
}

/** A place in the change stream: an offset means something only with its epoch. */
export interface StreamPosition {
  offset: number;
  epoch: string;
}

/** What the signed-in user may see; the token's claims. */
export interface ReplicaScope {
  role: Role;
  /** Ignored for admins, who see every branch. */
  branches: readonly string[];
}

/** The one field per resource the replica indexes besides the branch. */
export const indexedField: Partial<Record<ResourceName, string>> = {
  orders: 'status',
  reports: 'reportDate',
  stock: 'productId',
};

const str = (value: unknown) => (typeof value === 'string' ? value : '');

export function toStoredRow(
  resource: ResourceName,
  record: Record<string, unknown>,
  deleted = false,
): StoredRow | undefined {
  const id = str(record.id).toLowerCase();
  const version = record.version;
  if (!id || typeof version !== 'number') return undefined;
  const fieldName = indexedField[resource];
  const gone = deleted || (typeof record.deletedAt === 'string' && record.deletedAt !== '');
  return {
    key: `${resource}:${id}`,
    resource,
    id,
    // A branch is its own branch, for scope checks.
    branchId: (resource === 'branches' ? id : str(record.branchId)).toLowerCase(),
    version,
    deleted: gone ? 1 : 0,
    field: fieldName ? str(record[fieldName]) : '',
    createdAt: str(record.createdAt),
    // A tombstone needs its version only; the data would just take room.
    record: gone ? { id, version, deletedAt: record.deletedAt ?? null } : record,
  };
}

export function inScope(scope: ReplicaScope, branchId: string): boolean {
  return scope.role === 'admin' || branchId === '' || scope.branches.includes(branchId);
}

/**
 * Whether `next` lets the user see something `previous` did not: then the
 * device lacks rows and must take a new snapshot. A role change counts too:
 * what a role may read is the server's business.
 */
export function scopeWidened(previous: ReplicaScope, next: ReplicaScope): boolean {
  if (previous.role !== next.role) return true;
  if (next.role === 'admin') return false;
  return next.branches.some((b) => !previous.branches.includes(b));
}

export function sameScope(a: ReplicaScope, b: ReplicaScope): boolean {
  return (
    a.role === b.role &&
    a.branches.length === b.branches.length &&
    a.branches.every((x) => b.branches.includes(x))
  );
}
