// Static file server of the web image, where it is dist/main.js and the Vite
// build of apps/web sits next to it in public/ (scripts/docker-build.mjs). It
// answers the front door's `/`; no dependencies, so the image is Node alone.
//
//   GET /health            200 "ok" (container health check)
//   GET /assets/<hashed>   long-lived cache (Vite fingerprints these names)
//   GET /<file>            the file, revalidated on every load
//   GET /<route>           index.html for client-side routes (no file extension)
//
// Every response carries a Content-Security-Policy (pages: plus the hashes of
// their own inline blocks), nosniff, a referrer policy and X-Frame-Options: the
// same as apps/launcher/src/web/security-headers.ts, which a test compares.
//
// Environment: PORT (8080), HOST (0.0.0.0), STATIC_ROOT (../public from this file).
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const port = Number(process.env.PORT ?? 8080);
const host = process.env.HOST ?? '0.0.0.0';
const root = resolve(
  process.env.STATIC_ROOT ?? fileURLToPath(new URL('../public', import.meta.url)),
);

const types = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.webp': 'image/webp',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

const CSP_HOST = /^(?:[a-z0-9-]+(?:\.[a-z0-9-]+)*|\[[0-9a-f:.]+\])(?::\d{1,5})?$/i;
const sha256 = (text) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;

function inlineHashes(html) {
  const scripts = [];
  const styles = [];
  for (const m of html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script\s*>/gi)) {
    if (!/\bsrc\s*=/i.test(m[1] ?? '') && (m[2] ?? '') !== '') scripts.push(sha256(m[2] ?? ''));
  }
  for (const m of html.matchAll(/<style\b[^>]*>([\s\S]*?)<\/style\s*>/gi)) {
    styles.push(sha256(m[1] ?? ''));
  }
  return { scripts, styles };
}

function securityHeaders(host, html) {
  const { scripts, styles } = html ? inlineHashes(html) : { scripts: [], styles: [] };
  const sockets = host && CSP_HOST.test(host) ? [`ws://${host}`, `wss://${host}`] : [];
  const csp = [
    "default-src 'self'",
    ["script-src 'self'", ...scripts].join(' '),
    ["style-src 'self'", ...styles].join(' '),
    "img-src 'self' data:",
    ["connect-src 'self'", ...sockets].join(' '),
    "worker-src 'self'",
    "manifest-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
  return {
    'content-security-policy': csp,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'x-frame-options': 'DENY',
  };
}

async function fileAt(urlPath) {
  let decoded;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return undefined;
  }
  const path = normalize(join(root, decoded));
  // `..` segments must not leave the root.
  if (path !== root && !path.startsWith(root + sep)) return undefined;
  try {
    const info = await stat(path);
    if (info.isFile()) return { path, info };
    if (info.isDirectory()) return fileAt(`${decoded.replace(/\/+$/, '')}/index.html`);
  } catch {
    // missing: fall through
  }
  return undefined;
}

const server = createServer(async (req, res) => {
  const urlPath = (req.url ?? '/').split('?')[0] ?? '/';
  for (const [name, value] of Object.entries(securityHeaders(req.headers.host))) {
    res.setHeader(name, value);
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET, HEAD' }).end();
    return;
  }
  if (urlPath === '/health') {
    res.writeHead(200, { 'content-type': 'text/plain', 'cache-control': 'no-store' }).end('ok\n');
    return;
  }
  let found = await fileAt(urlPath);
  // Client-side routes (no extension) get the app shell; missing assets get 404.
  if (!found && extname(urlPath) === '') found = await fileAt('/index.html');
  if (!found) {
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    return;
  }
  const immutable = urlPath.startsWith('/assets/');
  const type = types[extname(found.path)] ?? 'application/octet-stream';
  if (extname(found.path) === '.html') {
    // Pages are read whole: their inline blocks' hashes go into the CSP.
    const page = await readFile(found.path);
    res.writeHead(200, {
      ...securityHeaders(req.headers.host, page.toString('utf8')),
      'content-type': type,
      'content-length': page.length,
      'cache-control': 'no-cache',
    });
    res.end(req.method === 'HEAD' ? undefined : page);
    return;
  }
  res.writeHead(200, {
    'content-type': type,
    'content-length': found.info.size,
    'cache-control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
  });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  createReadStream(found.path)
    .on('error', () => res.destroy())
    .pipe(res);
});

server.listen(port, host, () => {
  console.log(JSON.stringify({ level: 'info', msg: 'web listening', port, root }));
});

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.once(signal, () => {
    server.close(() => process.exit(0));
    server.closeIdleConnections();
    setTimeout(() => process.exit(0), 5_000).unref();
  });
}
