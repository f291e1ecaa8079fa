import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../process/net.ts';
import type { FrontDoor } from './front-door.ts';
import { GatewayPool, startNodeFrontDoor } from './node-proxy.ts';

const gw = (n: number) => ({ name: `gw-${n}`, host: '127.0.0.1', port: 8080 + n });

describe('GatewayPool', () => {
  it('keeps a client on the replica its cookie names', () => {
    const pool = new GatewayPool([gw(1), gw(2), gw(3)]);
    for (let i = 0; i < 5; i++) expect(pool.pick('gw-2')).toEqual({ target: gw(2), fresh: false });
  });

  it('spreads cookie-less clients and asks for a cookie', () => {
    const pool = new GatewayPool([gw(1), gw(2)]);
    const names = [pool.pick(undefined), pool.pick(undefined)].map((p) => p?.target.name);
    expect(new Set(names)).toEqual(new Set(['gw-1', 'gw-2']));
    expect(pool.pick(undefined)?.fresh).toBe(true);
  });

  it('moves a client off a failed or removed replica, like option redispatch', () => {
    const pool = new GatewayPool([gw(1), gw(2)]);
    pool.mark('gw-2', false);
    expect(pool.pick('gw-2')).toEqual({ target: gw(1), fresh: true });
    pool.mark('gw-2', true);
    pool.set([gw(2)]);
    expect(pool.pick('gw-1')).toEqual({ target: gw(2), fresh: true });
  });

  it('has nothing to offer when every replica is down', () => {
    const pool = new GatewayPool([gw(1)]);
    pool.mark('gw-1', false);
    expect(pool.pick(undefined)).toBeUndefined();
  });
});

/** A stand-in gateway that rejects a body over `limit` bytes the way engine.io's polling transport does. */
async function startLimitedUpstream(limit: number) {
  const server = createServer((req, res) => {
    if (req.url === '/health') {
      res.end('ok');
      return;
    }
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.off('data', onData);
        res.writeHead(413).end();
      }
    };
    req.on('data', onData);
    req.on('end', () => {
      if (!res.headersSent) res.end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port };
}

/**
 * POSTs `size` bytes in 64 KiB chunks, with a Content-Length (as browsers send
 * it) or chunked; resolves with the status, or how the exchange failed.
 */
function post(port: number, size: number, framing: 'length' | 'chunked'): Promise<number | string> {
  return new Promise((resolve) => {
    const req = request({
      host: '127.0.0.1',
      port,
      method: 'POST',
      path: '/ws/?EIO=4&transport=polling',
      headers: framing === 'length' ? { 'content-length': size } : {},
    });
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', (err) => resolve(`response error: ${err.message}`));
    });
    req.on('error', (err) => resolve(`request error: ${err.message}`));
    const chunk = Buffer.alloc(64 * 1024, 'a');
    let sent = 0;
    const pump = () => {
      while (sent < size) {
        sent += chunk.length;
        if (!req.write(chunk)) {
          req.once('drain', pump);
          return;
        }
      }
      req.end();
    };
    pump();
  });
}

describe('the Node front door passes backend answers through', () => {
  let upstream: Awaited<ReturnType<typeof startLimitedUpstream>>;
  let door: FrontDoor;
  let port: number;

  beforeAll(async () => {
    upstream = await startLimitedUpstream(100 * 1024);
    port = await freePort();
    const target = { host: '127.0.0.1', port: upstream.port };
    door = await startNodeFrontDoor({
      port,
      host: '127.0.0.1',
      api: target,
      web: target,
      gateways: [{ name: 'gw-1', ...target }],
    });
  });

  afterAll(async () => {
    await door?.close();
    upstream?.server.closeAllConnections();
    await new Promise((resolve) => upstream?.server.close(resolve));
  });

  it.each(['length', 'chunked'] as const)(
    'answers a too-large long-polling POST (%s body) with the gateway 413, not 502',
    async (framing) => {
      // The gateway answers before reading the whole body and closes.
      expect(await post(upstream.port, 4 * 1024 * 1024, framing)).toBe(413);
      for (let i = 0; i < 3; i++) {
        expect(await post(port, 4 * 1024 * 1024, framing)).toBe(413);
      }
    },
  );

  it('still proxies a POST the gateway accepts', async () => {
    expect(await post(port, 64 * 1024, 'length')).toBe(200);
  });
});
