/**
 * Where the console finds things at the front door. Everything is same-origin:
 * the launcher (and HAProxy in production) routes `/api` to the API, `/ws` to
 * the gateways and the rest to these static files.
 */
export const API_BASE = '';

/** Socket.IO path of the gateways at the front door. */
export const SOCKET_PATH = '/ws';

/**
 * Cluster stats of the gateways (`GET /stats` of any replica). The front door
 * exposes it as `/ws-stats` (apps/launcher `GATEWAY_STATS_PATH`).
 */
export const GATEWAY_STATS_URL = '/ws-stats';

/** The gateways' device acknowledgements and lag (`GET /devices`, apps/launcher `GATEWAY_DEVICES_PATH`). */
export const GATEWAY_DEVICES_URL = '/ws-devices';

/** Rows per page in lists. */
export const PAGE_SIZE = 25;

/** How long a row stays highlighted after a live change (matches the CSS animation). */
export const HIGHLIGHT_MS = 2400;

/** localStorage keys; the example page reads the token under the same key. */
export const STORAGE_KEYS = {
  token: 'dynapharm.token',
  user: 'dynapharm.user',
  branch: 'dynapharm.branch',
  device: 'dynapharm.device',
} as const;

/**
 * This browser profile's device id, made once and kept: operators see each
 * device's acknowledged position under it (it names the device, not the user).
 */
export function deviceId(): string {
  const known = localStorage.getItem(STORAGE_KEYS.device);
  if (known) return known;
  // getRandomValues, unlike randomUUID, also exists on plain-HTTP pages.
  const made = Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) =>
    b.toString(16).padStart(2, '0'),
  ).join('');
  localStorage.setItem(STORAGE_KEYS.device, made);
  return made;
}
