import type { OfflineQueueOptions } from './options.ts';
import { OfflineQueue, type StatsListener } from './queue.ts';
import type { ConflictResolution, QueueOperationInput } from './types.ts';

let defaults: OfflineQueueOptions = {};
let instance: OfflineQueue | undefined;

/** The page's shared queue, created and started on first use. */
export function getOfflineSyncQueue(): OfflineQueue {
  instance ??= new OfflineQueue(defaults).start();
  return instance;
}

/**
 * The ready-made queue for pages that load the package as a plain module
 * (`/web-modules/offline-sync.js`): same-origin API, IndexedDB, Web Locks,
 * replays on `online`. Call `configure()` before first use to pass a token or
 * another `apiUrl`.
 *
 * @example
 * import { offlineSyncQueue } from '/web-modules/offline-sync.js';
 * offlineSyncQueue.configure({ token: () => sessionStorage.getItem('token') });
 * await offlineSyncQueue.queueOperation({ resource: 'clients', action: 'update', id, data: { phone }, baseVersion: 3 });
 * offlineSyncQueue.subscribe((stats) => renderBadge(stats));
 */
export const offlineSyncQueue = {
  /** Sets the options of the shared queue; throws once it is in use. */
  configure(options: OfflineQueueOptions) {
    if (instance) throw new Error('offlineSyncQueue is already in use; configure it first');
    defaults = { ...options };
  },
  queueOperation: (input: QueueOperationInput) => getOfflineSyncQueue().queueOperation(input),
  syncAll: () => getOfflineSyncQueue().syncAll(),
  getStats: () => getOfflineSyncQueue().getStats(),
  getQueue: () => getOfflineSyncQueue().getQueue(),
  retry: (opId: string, changes?: { data?: Record<string, unknown> }) =>
    getOfflineSyncQueue().retry(opId, changes),
  discard: (opId: string) => getOfflineSyncQueue().discard(opId),
  resolveConflict: (opId: string, resolution: ConflictResolution) =>
    getOfflineSyncQueue().resolveConflict(opId, resolution),
  subscribe: (listener: StatsListener) => getOfflineSyncQueue().subscribe(listener),
  attachTrigger: (register: (fire: () => void) => unknown) =>
    getOfflineSyncQueue().attachTrigger(register),
};
