import { offlineSyncQueue, tokenSubject } from '@dynapharm/offline-sync';
import { STORAGE_KEYS } from '../lib/config.ts';

/**
 * `/web-modules/offline-sync.js`: the offline queue as one self-contained ES
 * module. The shared `offlineSyncQueue` comes pre-configured for pages served
 * next to the console: same-origin API and the token the console (or the
 * page) keeps in `localStorage['dynapharm.token']`. Like the console's, the
 * queue belongs to the user of that token: it is that user's queue database,
 * and it is only ever sent with that user's token. Call
 * `offlineSyncQueue.configure({ token, apiUrl })` before first use to change that.
 *
 * @example
 * import { offlineSyncQueue } from '/web-modules/offline-sync.js';
 * await offlineSyncQueue.queueOperation({ resource: 'clients', action: 'create', data: { branchId, fullName } });
 * await offlineSyncQueue.syncAll();
 * console.log(await offlineSyncQueue.getStats());
 */
const storedToken = () => globalThis.localStorage?.getItem(STORAGE_KEYS.token) ?? undefined;
const signedIn = storedToken();
offlineSyncQueue.configure({
  apiUrl: '',
  token: storedToken,
  userId: signedIn ? tokenSubject(signedIn) : undefined,
});

export * from '@dynapharm/offline-sync';
