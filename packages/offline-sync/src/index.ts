export { type BackoffOptions, defaultBackoff, retryDelay } from './backoff.ts';
export { getOfflineSyncQueue, offlineSyncQueue } from './default-queue.ts';
export {
  type OfflineQueueOptions,
  type OnlineEventSource,
  type Timers,
  tokenSubject,
} from './options.ts';
export { createOfflineQueue, OfflineQueue, type StatsListener } from './queue.ts';
export {
  DEFAULT_DATABASE_NAME,
  deleteUserQueue,
  IndexedDbStorage,
  type IndexedDbStorageOptions,
  userDatabaseName,
} from './storage/indexeddb-storage.ts';
export { MemoryStorage } from './storage/memory-storage.ts';
export type { Lease, Mutation, QueueStorage } from './storage/storage.ts';
export type { LockManagerLike } from './tab-lock.ts';
export type * from './types.ts';
export { uuidv7 } from './uuid.ts';
