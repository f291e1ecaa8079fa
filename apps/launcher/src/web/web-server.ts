import { createReadStream, existsSync, readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';
import { securityHeaders } from './security-headers.ts';

const types: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.webmanifest': 'application/manifest+json',
  '.txt': 'text/plain; charset=utf-8',
};

/** The launcher's status page, also there when the web console is built. */
export const STATUS_PATH = '/launcher/';

/** Whether `dir` holds a built web console (an `index.html`). */
export const hasWebBuild = (dir: string) => existsSync(join(dir, 'index.html'));

/**
 * Serves what the front door's `/` shows: the files of `apps/web/dist` (single
 * page app: unknown paths get `index.html`) when it is built, else the status
 * page (always at {@link STATUS_PATH}). Listens on 127.0.0.1 only; browsers reach it through the front door.
 * Every response carries {@link securityHeaders} (CSP, nosniff, referrer policy).
 */
export async function startWebServer(options: {
  port: number;
  webDist: string;
  statusPage: () => string;
}): Promise<Server> {
  const server = createServer((req, res) => {
    for (const [name, value] of Object.entries(securityHeaders(req.headers.host))) {
      res.setHeader(name, value);
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    let path: string;
    try {
      path = decodeURIComponent((req.url ?? '/').split('?')[0] ?? '/');
    } catch {
      res.writeHead(400).end();
      return;
    }
    const built = hasWebBuild(options.webDist);
    if (path === STATUS_PATH || !built) {
      if (path !== STATUS_PATH && path !== '/' && path !== '/index.html') {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
        return;
      }
      const page = options.statusPage();
      res.writeHead(200, {
        ...securityHeaders(req.headers.host, page),
        'content-type': types['.html'],
        'cache-control': 'no-store',
      });
      res.end(req.method === 'HEAD' ? undefined : page);
      return;
    }
    const root = normalize(options.webDist);
    let file = normalize(join(root, path));
    if (!file.startsWith(root + sep) && file !== root) {
      res.writeHead(400).end();
      return;
    }
    const isFile = (f: string) => existsSync(f) && statSync(f).isFile();
    if (!isFile(file))
      file = isFile(join(file, 'index.html')) ? join(file, 'index.html') : join(root, 'index.html');
    const type = types[extname(file)] ?? 'application/octet-stream';
    if (extname(file) === '.html') {
      // Pages are read whole: their inline blocks' hashes go into the CSP.
      const page = readFileSync(file, 'utf8');
      res.writeHead(200, {
        ...securityHeaders(req.headers.host, page),
        'content-type': type,
        'cache-control': 'no-cache',
      });
      res.end(req.method === 'HEAD' ? undefined : page);
      return;
    }
    res.writeHead(200, { 'content-type': type, 'cache-control': 'public, max-age=300' });
    if (req.method === 'HEAD') res.end();
    else createReadStream(file).pipe(res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  return server;
}
