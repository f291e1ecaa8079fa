export type { QueryResult, ReplicaQuery } from './query.ts';
export {
  deleteOtherReplicas,
  Replica,
  type ReplicaChange,
  type ReplicaClient,
  type ReplicaOptions,
  type ReplicaState,
  type ReplicaStatus,
} from './replica.ts';
export {
  indexedField,
  inScope,
  type ReplicaScope,
  type StoredRow,
  type StreamPosition,
  toStoredRow,
} from './rows.ts';
export { fetchSnapshot, type Snapshot, SnapshotError } from './snapshot.ts';
export {
  DATABASE_PREFIX,
  databaseNameFor,
  type FieldRange,
  IndexedDbReplicaStore,
  type ReplicaMeta,
  type ReplicaStore,
} from './store.ts';
