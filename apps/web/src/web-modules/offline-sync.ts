import { offlineSyncQueue } from '@dynapharm/offline-sync';
import { STORAGE_KEYS } from '../lib/config.ts';

/**
 * `/web-modules/offline-sync.js`: the offline queue as one self-contained ES
 * module. The shared `offlineSyncQueue` comes pre-configured for pages served
 * next to the console: same-origin API and the token the console (or the
 * page) keeps in `localStorage['dynapharm.token']`. Call
 * `offlineSyncQueue.configure({ token, apiUrl })` before first use to change that.
 *
 * @example
 * import { offlineSyncQueue } from '/web-modules/offline-sync.js';
 * await offlineSyncQueue.queueOperation({ resource: 'clients', action: 'create', data: { branchId, fullName } });
 * await offlineSyncQueue.syncAll();
 * console.log(await offlineSyncQueue.getStats());
 */
offlineSyncQueue.configure({
  apiUrl: '',
  token: () => globalThis.localStorage?.getItem(STORAGE_KEYS.token) ?? undefined,
});

export * from '@dynapharm/offline-sync';
