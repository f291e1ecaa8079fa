/**
 * The console's service worker (served as `/sw.js`, scope `/`): lets a branch
 * reload the console, or the example page, while the network is away. The
 * writes themselves wait in the offline queue (IndexedDB); this only keeps the
 * files that run it.
 *
 * - install: caches the app shell (the `PRECACHE` list) in `CACHE`.
 * - activate: deletes every other `dynapharm-shell-*` cache (older builds).
 * - page loads (navigations): network first, so a deployment shows at once;
 *   the cached copy when the network fails, else the cached console.
 * - other same-origin GETs (hashed assets, web modules): cache first, filling
 *   the cache on a miss.
 * - `/api/`, `/ws` (Socket.IO and `/ws-stats`) and `/launcher/` are never
 *   touched: data must come from the server or fail visibly.
 *
 * This file is a template: `scripts/build-sw.mjs` writes `dist/sw.js` with the
 * two constants below replaced by the build's hash and file list, so every
 * build gets a cache of its own.
 */

const CACHE_VERSION = 'dev';
const PRECACHE = ['/index.html'];

const CACHE_PREFIX = 'dynapharm-shell-';
const CACHE = `${CACHE_PREFIX}${CACHE_VERSION}`;
/** What an uncached navigation falls back to: the console (hash routes, one page). */
const SHELL = '/index.html';

const isPassThrough = (path) =>
  path.startsWith('/api/') ||
  path === '/api' ||
  path === '/ws' ||
  path.startsWith('/ws/') ||
  path.startsWith('/ws-') ||
  path.startsWith('/launcher/') ||
  path === '/sw.js';

/** The cache key of a page: no query, and `/` is the console's `index.html`. */
const pageKey = (url) => (url.pathname === '/' ? SHELL : url.pathname);

self.addEventListener('install', (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(CACHE);
      // `reload` skips the HTTP cache, so the shell matches this build.
      await cache.addAll(PRECACHE.map((path) => new Request(path, { cache: 'reload' })));
      await self.skipWaiting();
    })(),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      const names = await caches.keys();
      await Promise.all(
        names
          .filter((name) => name.startsWith(CACHE_PREFIX) && name !== CACHE)
          .map((name) => caches.delete(name)),
      );
      // Take over pages opened before this worker, so their next reload is covered.
      await self.clients.claim();
    })(),
  );
});

async function networkFirst(request, url) {
  const cache = await caches.open(CACHE);
  try {
    const response = await fetch(request);
    if (response.ok) await cache.put(pageKey(url), response.clone());
    return response;
  } catch (err) {
    const cached = (await cache.match(pageKey(url))) ?? (await cache.match(SHELL));
    if (cached) return cached;
    throw err;
  }
}

async function cacheFirst(request) {
  const cache = await caches.open(CACHE);
  const cached = await cache.match(request, { ignoreSearch: true });
  if (cached) return cached;
  const response = await fetch(request);
  if (response.ok && response.type === 'basic') await cache.put(request, response.clone());
  return response;
}

self.addEventListener('fetch', (event) => {
  const { request } = event;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin || isPassThrough(url.pathname)) return;
  if (request.mode === 'navigate') event.respondWith(networkFirst(request, url));
  else event.respondWith(cacheFirst(request));
});
