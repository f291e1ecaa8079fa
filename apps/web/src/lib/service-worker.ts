/** Where the build puts the service worker (`scripts/build-sw.mjs`). */
export const SERVICE_WORKER_URL = '/sw.js';

/**
 * Registers the service worker that keeps the console's files, so a reload
 * works offline. Production builds only: the Vite dev server has no `sw.js`,
 * and a worker caching dev modules would hide edits. A failure only costs
 * offline reloads, so it is logged, not thrown.
 */
export function registerServiceWorker(): void {
  if (!import.meta.env.PROD || !('serviceWorker' in navigator)) return;
  navigator.serviceWorker.register(SERVICE_WORKER_URL, { scope: '/' }).catch((err: unknown) => {
    console.warn('service worker not registered; offline reloads will not work', err);
  });
}
