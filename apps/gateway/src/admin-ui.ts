import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, extname, join, normalize, sep } from 'node:path';
import type { BusRedis } from '@dynapharm/outbox';
import { instrument, RedisStore } from '@socket.io/admin-ui';
import type { Server } from 'socket.io';
import { HttpError } from './http/errors.ts';

/** The Socket.IO Admin UI on this replica (docs/operations.md, "Socket.IO Admin UI"). */
export interface AdminUiOptions {
  /** Basic-auth user name the UI signs in with. */
  username: string;
  /** bcrypt hash of the password (the plain password is never configured). */
  passwordHash: string;
  /** No emit, join, leave or disconnect from the UI; forced in production. */
  readonly: boolean;
  /** `production` sends aggregated events only; `development` also every socket and event. */
  mode: 'development' | 'production';
}

/** The admin namespace; the UI connects to `<front door>/admin` with path `/ws`. */
export const ADMIN_NAMESPACE = '/admin';

/** Where the gateway serves the UI's static files (the npm package's `ui/dist`). */
export const ADMIN_UI_PATH = '/admin-ui';

/**
 * Instruments `io` for the Admin UI. Sessions live in the bus's Redis under
 * the bus's key prefix, so a UI session opened through one replica is valid on
 * every other; every replica's `server_stats` reach the UI through the Redis
 * adapter, which is how the UI lists all replicas.
 */
export function instrumentAdminUi(
  io: Server,
  redis: BusRedis,
  keyPrefix: string,
  serverId: string,
  options: AdminUiOptions,
) {
  instrument(io, {
    namespaceName: ADMIN_NAMESPACE,
    auth: { type: 'basic', username: options.username, password: options.passwordHash },
    readonly: options.readonly,
    serverId,
    mode: options.mode,
    // The store's typings name the node-redis client; ioredis has the same
    // callback `exists` and `multi().set().expire().exec()` it calls.
    store: new RedisStore(redis as never, {
      prefix: `{${keyPrefix}}:admin-ui-session`,
      sessionDuration: 8 * 3600,
    }),
  });
}

const uiRoot = join(
  dirname(createRequire(import.meta.url).resolve('@socket.io/admin-ui/package.json')),
  'ui',
  'dist',
);

const types: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

/** A Host header that can be written into a CSP source as is. */
const CSP_HOST = /^(?:[a-z0-9-]+(?:\.[a-z0-9-]+)*|\[[0-9a-f:.]+\])(?::\d{1,5})?$/i;

/**
 * Headers of every UI response: the console's policy (scripts, styles and
 * connections to this origin only, no frames, no plugins). The UI's links to
 * Google Fonts and the jsDelivr icon font are therefore not loaded; it works
 * without them (system font, no icons).
 */
export function adminUiHeaders(host: string | undefined): Record<string, string> {
  const sockets = host && CSP_HOST.test(host) ? [`ws://${host}`, `wss://${host}`] : [];
  return {
    'content-security-policy': [
      "default-src 'self'",
      "script-src 'self'",
      "style-src 'self'",
      "img-src 'self' data:",
      ["connect-src 'self'", ...sockets].join(' '),
      "font-src 'self'",
      "object-src 'none'",
      "base-uri 'self'",
      "form-action 'self'",
      "frame-ancestors 'none'",
    ].join('; '),
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'x-frame-options': 'DENY',
  };
}

/**
 * Serves `GET /admin-ui/<file>` from the package's `ui/dist`. `/admin-ui`
 * redirects to `/admin-ui/` so the page's relative asset paths resolve.
 */
export async function serveAdminUi(req: IncomingMessage, res: ServerResponse, path: string) {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('allow', 'GET, HEAD');
    throw new HttpError(405, 'bad_request', `${req.method} is not allowed on ${path}`);
  }
  const headers = adminUiHeaders(req.headers.host);
  if (path === ADMIN_UI_PATH) {
    res.writeHead(308, { ...headers, location: `${ADMIN_UI_PATH}/` }).end();
    return;
  }
  let rel: string;
  try {
    rel = decodeURIComponent(path.slice(ADMIN_UI_PATH.length + 1)) || 'index.html';
  } catch {
    throw new HttpError(400, 'bad_request', 'malformed path');
  }
  const file = normalize(join(uiRoot, rel));
  const type = types[extname(file)];
  if (!file.startsWith(uiRoot + sep) || !type) {
    throw new HttpError(404, 'not_found', `no route for ${path}`);
  }
  const info = await stat(file).catch(() => undefined);
  if (!info?.isFile()) throw new HttpError(404, 'not_found', `no route for ${path}`);
  res.writeHead(200, {
    ...headers,
    'content-type': type,
    'content-length': info.size,
    // The UI's asset names carry a content hash; the page itself is revalidated.
    'cache-control': rel === 'index.html' ? 'no-cache' : 'public, max-age=86400',
  });
  if (req.method === 'HEAD') return void res.end();
  createReadStream(file).pipe(res);
}
