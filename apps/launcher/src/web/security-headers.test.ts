import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { type IncomingHttpHeaders, request, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, waitForHttp } from '../process/net.ts';
import { STATUS_PATH, startWebServer } from './web-server.ts';

const staticServer = fileURLToPath(
  new URL('../../../../infra/docker/static-server.mjs', import.meta.url),
);

const inlineScript = "\n  document.title = 'inline';\n";
const inlineStyle = '\n  body { color: red; }\n';
const hash = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;

const headerNames = [
  'content-security-policy',
  'x-content-type-options',
  'referrer-policy',
  'x-frame-options',
];

/** Response headers of a GET with a Host of our choosing (fetch always sends the URL's). */
function headersFor(base: string, path: string, host: string): Promise<IncomingHttpHeaders> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ hostname, port, path, headers: { host }, agent: false }, (res) => {
      res.resume();
      resolve(res.headers);
    });
    req.on('error', reject);
    req.end();
  });
}

/** The CSP as a map of directive to its sources. */
const directives = (csp: string | null) =>
  Object.fromEntries(
    (csp ?? '').split(';').map((d) => {
      const [name = '', ...sources] = d.trim().split(/\s+/);
      return [name, sources];
    }),
  );

describe('the console is served with a strict CSP and security headers', () => {
  let dist: string;
  let launcherWeb: Server;
  let launcherUrl: string;
  let staticChild: ChildProcess;
  let staticUrl: string;

  beforeAll(async () => {
    dist = mkdtempSync(join(tmpdir(), 'web-headers-'));
    mkdirSync(join(dist, 'assets'));
    mkdirSync(join(dist, 'examples'));
    writeFileSync(
      join(dist, 'index.html'),
      '<!doctype html><html><head><script type="module" src="/assets/app.js"></script></head><body></body></html>',
    );
    writeFileSync(join(dist, 'assets/app.js'), 'console.log(1);\n');
    writeFileSync(
      join(dist, 'examples/page.html'),
      `<!doctype html><html><head><style>${inlineStyle}</style></head><body><script type="module">${inlineScript}</script></body></html>`,
    );
    const webPort = await freePort();
    launcherWeb = await startWebServer({
      port: webPort,
      webDist: dist,
      statusPage: () => `<html><head><style>${inlineStyle}</style></head><body></body></html>`,
    });
    launcherUrl = `http://127.0.0.1:${webPort}`;
    const staticPort = await freePort();
    staticChild = spawn(process.execPath, [staticServer], {
      env: { ...process.env, PORT: String(staticPort), HOST: '127.0.0.1', STATIC_ROOT: dist },
      stdio: 'ignore',
    });
    staticUrl = `http://127.0.0.1:${staticPort}`;
    await waitForHttp(`${staticUrl}/health`, { timeoutMs: 10_000 });
  });

  afterAll(async () => {
    launcherWeb?.close();
    staticChild?.kill('SIGKILL');
    rmSync(dist, { recursive: true, force: true });
  });

  const servers = () =>
    [
      ['launcher web server', launcherUrl],
      ['compose static server', staticUrl],
    ] as const;

  it('sends the headers on the console, its assets, client routes and misses', async () => {
    for (const [, base] of servers()) {
      for (const path of ['/', '/orders', '/assets/app.js', '/assets/missing.js']) {
        const res = await fetch(`${base}${path}`);
        await res.body?.cancel();
        expect(res.headers.get('x-content-type-options')).toBe('nosniff');
        expect(res.headers.get('referrer-policy')).toBe('no-referrer');
        expect(res.headers.get('x-frame-options')).toBe('DENY');
        const csp = directives(res.headers.get('content-security-policy'));
        expect(csp['script-src']).toEqual(["'self'"]);
        expect(csp['default-src']).toEqual(["'self'"]);
        expect(csp['object-src']).toEqual(["'none'"]);
        expect(csp['base-uri']).toEqual(["'self'"]);
        expect(csp['frame-ancestors']).toEqual(["'none'"]);
        const host = new URL(base).host;
        expect(csp['connect-src']).toEqual(["'self'", `ws://${host}`, `wss://${host}`]);
      }
    }
  });

  it('allows a page’s own inline blocks by hash, and nothing else inline', async () => {
    for (const [, base] of servers()) {
      const res = await fetch(`${base}/examples/page.html`);
      await res.body?.cancel();
      const csp = directives(res.headers.get('content-security-policy'));
      expect(csp['script-src']).toEqual(["'self'", hash(inlineScript)]);
      expect(csp['style-src']).toEqual(["'self'", hash(inlineStyle)]);
      expect(res.headers.get('content-security-policy')).not.toContain('unsafe-inline');
    }
  });

  it('answers alike from both servers', async () => {
    for (const path of ['/', '/examples/page.html', '/assets/app.js']) {
      const [a, b] = await Promise.all(
        servers().map(async ([, base]) => {
          const headers = await headersFor(base, path, 'console.example:8080');
          return Object.fromEntries(headerNames.map((name) => [name, headers[name]]));
        }),
      );
      expect(b).toEqual(a);
    }
  });

  it('leaves a Host that is not a plain host:port out of the CSP', async () => {
    for (const [, base] of servers()) {
      const headers = await headersFor(base, '/', "evil.example; script-src 'none'");
      const csp = directives(String(headers['content-security-policy']));
      expect(csp['connect-src']).toEqual(["'self'"]);
      expect(csp['script-src']).toEqual(["'self'"]);
    }
  });

  it('covers the launcher’s status page, inline style included', async () => {
    const res = await fetch(`${launcherUrl}${STATUS_PATH}`);
    await res.body?.cancel();
    const csp = directives(res.headers.get('content-security-policy'));
    expect(csp['style-src']).toEqual(["'self'", hash(inlineStyle)]);
    expect(csp['frame-ancestors']).toEqual(["'none'"]);
  });
});
