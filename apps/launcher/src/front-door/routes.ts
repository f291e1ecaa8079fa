/**
 * The front door's routing contract, shared by the HAProxy config the launcher
 * generates, the Node proxy, and `infra/haproxy/haproxy.cfg` (kept in step by hand).
 */

/** Socket.IO's path on the gateways (and at the front door). */
export const SOCKET_PATH = '/ws';

/**
 * Gateway cluster stats (`GET /stats` of any replica) at the front door. They
 * name every replica's internal URL, so only clients on the front door's own
 * machine (loopback) get them; everyone else is refused with 403.
 */
export const GATEWAY_STATS_PATH = '/ws-stats';

/** The gateways' `GET /devices` (a user bearer token decides what it shows) at the front door. */
export const GATEWAY_DEVICES_PATH = '/ws-devices';

/**
 * The Socket.IO Admin UI's static files, served by the gateways when it is
 * enabled (404 otherwise). The UI then connects to namespace `/admin` through
 * {@link SOCKET_PATH} like any client.
 */
export const ADMIN_UI_PATH = '/admin-ui';

/** The API's liveness and readiness, which it serves outside `/api`, at the front door. */
export const API_HEALTH_PATHS: Readonly<Record<string, string>> = {
  '/api/health': '/health',
  '/api/ready': '/ready',
};

/** Cookie that pins a browser to one gateway, so long-polling requests find their session. */
export const AFFINITY_COOKIE = 'SERVERID';

/** A gateway replica as the front door knows it. */
export interface GatewayTarget {
  /** Cookie value and server name, e.g. `gw-1`. */
  name: string;
  host: string;
  port: number;
}

export type Route =
  | { to: 'reject'; path: string }
  | { to: 'gateway'; path: string }
  | { to: 'gateway-stats'; path: string }
  | { to: 'api'; path: string }
  | { to: 'web'; path: string };

/** Where a request path goes, and the path the backend sees. */
export function routeFor(url: string): Route {
  const [path = '/', query] = splitQuery(url);
  const withQuery = (p: string) => (query === undefined ? p : `${p}?${query}`);
  // A NUL anywhere ends in a 500 from PostgreSQL, which cannot store it in text.
  if (!isPlainPath(path) || /%00/.test(url)) return { to: 'reject', path: withQuery(path) };
  if (path === SOCKET_PATH || path.startsWith(`${SOCKET_PATH}/`)) {
    return { to: 'gateway', path: withQuery(path) };
  }
  if (path === GATEWAY_STATS_PATH) return { to: 'gateway-stats', path: withQuery('/stats') };
  if (path === GATEWAY_DEVICES_PATH) return { to: 'gateway', path: withQuery('/devices') };
  if (path === ADMIN_UI_PATH || path.startsWith(`${ADMIN_UI_PATH}/`)) {
    return { to: 'gateway', path: withQuery(path) };
  }
  const health = API_HEALTH_PATHS[path];
  if (health) return { to: 'api', path: withQuery(health) };
  if (path === '/api' || path.startsWith('/api/')) return { to: 'api', path: withQuery(path) };
  return { to: 'web', path: withQuery(path) };
}

/**
 * Routing matches the literal path, and backends (or the proxy library on the
 * way to them) resolve `..` themselves: `/api/../metrics` would pass as an API
 * path and arrive as the API's unauthenticated `/metrics`. Dot segments, and
 * encoded or backslash forms of them and of `/`, are therefore refused.
 */
export function isPlainPath(path: string): boolean {
  if (!path.startsWith('/') || path.includes('\\')) return false;
  if (/%2f|%5c/i.test(path)) return false;
  return !path.split('/').some((segment) => /^(\.|%2e){1,2}$/i.test(segment));
}

/** Whether a peer address is the front door's own machine. */
export function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  const v4 = address.startsWith('::ffff:') ? address.slice('::ffff:'.length) : address;
  return v4.startsWith('127.') || address === '::1';
}

function splitQuery(url: string): [string, string | undefined] {
  const i = url.indexOf('?');
  return i === -1 ? [url, undefined] : [url.slice(0, i), url.slice(i + 1)];
}

/** The value of one cookie in a `Cookie` header, if present. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq === -1) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
