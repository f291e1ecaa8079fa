import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findExecutable, freePort } from '../process/net.ts';
import type { FrontDoor } from './front-door.ts';
import { startHaproxy } from './haproxy.ts';
import { startNodeFrontDoor } from './node-proxy.ts';

// Both front doors against stand-in backends that answer every path, like the
// real ones do for `/metrics` (API and gateways) and `/stats` (gateways).

interface Backend {
  server: Server;
  port: number;
  /** Paths the backend received, as it saw them. */
  seen: string[];
}

async function backend(name: string): Promise<Backend> {
  const seen: string[] = [];
  const server = createServer((req, res) => {
    const path = req.url ?? '/';
    if (path !== '/health' && path !== '/') seen.push(path);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ backend: name, path, url: 'http://10.0.0.7:8081' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port, seen };
}

/** A request with the path sent exactly as written (fetch would resolve `..` first). */
function get(host: string, port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host, port, path, method: 'GET', agent: false }, (res) => {
      let body = '';
      res.on('data', (c) => {
        body += String(c);
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** An address of this machine that is not loopback, so the front door sees an outside peer. */
const outsideAddress = Object.values(networkInterfaces())
  .flat()
  .find((i) => i && i.family === 'IPv4' && !i.internal)?.address;

const haproxy = findExecutable('haproxy', process.env.PATH ?? '');

const kinds = [
  ['node', true],
  ['haproxy', haproxy !== undefined],
] as const;

describe.each(kinds)('the %s front door', (kind, available) => {
  let api: Backend;
  let web: Backend;
  let gateway: Backend;
  let door: FrontDoor | undefined;
  let port: number;
  let dataDir: string;

  beforeAll(async () => {
    if (!available) return;
    [api, web, gateway] = await Promise.all([backend('api'), backend('web'), backend('gateway')]);
    port = await freePort();
    const targets = {
      api: { host: '127.0.0.1', port: api.port },
      web: { host: '127.0.0.1', port: web.port },
      gateways: [{ name: 'gw-1', host: '127.0.0.1', port: gateway.port }],
    };
    dataDir = mkdtempSync(join(tmpdir(), 'front-door-guards-'));
    door =
      kind === 'node'
        ? await startNodeFrontDoor({ port, host: '0.0.0.0', ...targets })
        : await startHaproxy({
            binary: haproxy ?? 'haproxy',
            dataDir,
            logDir: dataDir,
            env: process.env,
            config: { frontDoorPort: port, bindHost: '0.0.0.0', ...targets },
          });
    // HAProxy's first health check marks the servers up.
    for (let i = 0; i < 50; i++) {
      if ((await get('127.0.0.1', port, '/ws-stats')).status === 200) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    for (const b of [api, web, gateway]) b.seen.length = 0;
  });

  afterAll(async () => {
    await door?.close();
    for (const b of [api, web, gateway]) b?.server.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it
    .skipIf(!available)
    .each([
      '/api/../metrics',
      '/api/%2e%2e/metrics',
      '/api/.%2E/metrics',
      '/api/health/../../metrics',
      '/ws/../metrics',
      '/ws/../stats',
      '/api/./clients',
      '/api%2fmetrics',
      '/api/..%5cmetrics',
      '/api/orders?status=%2Fe%00',
    ])('refuses %s before it reaches a backend', async (path) => {
    expect((await get('127.0.0.1', port, path)).status).toBe(400);
    expect([...api.seen, ...gateway.seen, ...web.seen]).not.toContainEqual(
      expect.stringMatching(/metrics|stats$|%00/),
    );
  });

  it.skipIf(!available)('sends /metrics to the web console, never to the API', async () => {
    const res = await get('127.0.0.1', port, '/metrics');
    expect(JSON.parse(res.body)).toMatchObject({ backend: 'web' });
    expect(api.seen).not.toContain('/metrics');
  });

  it.skipIf(!available)('still routes the API and the gateway stats for loopback', async () => {
    expect(JSON.parse((await get('127.0.0.1', port, '/api/clients?limit=1')).body)).toMatchObject({
      backend: 'api',
      path: '/api/clients?limit=1',
    });
    const stats = await get('127.0.0.1', port, '/ws-stats');
    expect(stats.status).toBe(200);
    expect(JSON.parse(stats.body)).toMatchObject({ backend: 'gateway', path: '/stats' });
  });

  it.skipIf(!available || !outsideAddress)(
    'refuses /ws-stats to a client that is not on this machine’s loopback',
    async () => {
      const before = gateway.seen.length;
      const res = await get(outsideAddress ?? '', port, '/ws-stats');
      expect(res.status).toBe(403);
      expect(res.body).not.toContain('10.0.0.7');
      expect(gateway.seen.length).toBe(before);
      // The rest of the front door is still open to that client.
      expect((await get(outsideAddress ?? '', port, '/api/clients')).status).toBe(200);
    },
  );
});
