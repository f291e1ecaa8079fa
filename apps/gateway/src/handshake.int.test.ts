import { signToken } from '@dynapharm/auth';
import { SignJWT } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  adminToken,
  allowedOrigin,
  branchA,
  type Cluster,
  closeClients,
  connect,
  eventually,
  secret,
  staffToken,
  startCluster,
  subscribe,
  tokenFor,
} from './testing/cluster.ts';

describe('handshake', () => {
  let cluster: Cluster;
  let url: string;

  beforeAll(async () => {
    cluster = await startCluster(1);
    url = cluster.urls[0] ?? '';
  });
  afterEach(closeClients);
  afterAll(async () => {
    await cluster?.close();
  });

  it('refuses a connection without a token', async () => {
    await expect(connect(url)).rejects.toMatchObject({
      message: 'missing token',
      data: { code: 'unauthorized', reason: 'missing_token' },
    });
  });

  it('refuses a forged and an expired token', async () => {
    const forged = await signToken(
      { sub: 'x', role: 'admin', branches: [] },
      { secret: 'some-other-secret-that-is-long-enough-000' },
    );
    await expect(connect(url, { token: forged })).rejects.toMatchObject({
      message: 'invalid token',
    });
    await expect(connect(url, { token: 'not.a.jwt' })).rejects.toMatchObject({
      message: 'invalid token',
    });
    const expired = await tokenFor({ role: 'admin' }, -60);
    await expect(connect(url, { token: expired })).rejects.toMatchObject({
      message: 'token expired',
      data: { reason: 'expired' },
    });
  });

  it('refuses a token without exp, whose socket would never expire', async () => {
    const forever = await new SignJWT({ role: 'admin', branches: [] })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('forever')
      .sign(new TextEncoder().encode(secret));
    await expect(connect(url, { token: forever })).rejects.toMatchObject({
      message: 'invalid token',
      data: { reason: 'invalid_token' },
    });
  });

  it('accepts the token in an Authorization header', async () => {
    const socket = await connect(url, {
      extraHeaders: { authorization: `Bearer ${await staffToken(branchA)}` },
    });
    expect(await subscribe(socket, ['clients'])).toEqual({
      granted: [`clients@${branchA}`],
      denied: [],
    });
  });

  it('serves clients over long-polling too', async () => {
    const socket = await connect(url, { token: await adminToken(), transports: ['polling'] });
    expect(await subscribe(socket, ['clients'])).toEqual({ granted: ['clients'], denied: [] });
    // Polling first, then the upgrade, after the handshake request was freed.
    const upgrading = await connect(url, {
      token: await adminToken(),
      transports: ['polling', 'websocket'],
    });
    await eventually(() => expect(upgrading.io.engine.transport.name).toBe('websocket'));
    expect(await subscribe(upgrading, ['orders'])).toEqual({ granted: ['orders'], denied: [] });
  });

  it('refuses a disallowed Origin on WebSocket', async () => {
    const token = await adminToken();
    await expect(
      connect(url, { token, extraHeaders: { origin: 'http://evil.test' } }),
    ).rejects.toThrow('websocket error');
    const ok = await connect(url, { token, extraHeaders: { origin: allowedOrigin } });
    expect(ok.connected).toBe(true);
  });

  it('refuses a disallowed Origin on the polling handshake', async () => {
    // Node's XMLHttpRequest stand-in will not send Origin, so speak Engine.IO directly.
    const handshake = (origin?: string) =>
      fetch(`${url}/ws/?EIO=4&transport=polling`, { headers: origin ? { origin } : {} });
    const refused = await handshake('http://evil.test');
    expect(refused.status).toBe(403);
    const allowed = await handshake(allowedOrigin);
    expect(allowed.status).toBe(200);
    expect(allowed.headers.get('access-control-allow-origin')).toBe(allowedOrigin);
    expect(await allowed.text()).toMatch(/"sid"/);
    expect((await handshake()).status).toBe(200);
  });

  it('disconnects a socket when its token expires', async () => {
    const socket = await connect(url, { token: await tokenFor({ role: 'admin' }, '2s') });
    const reason = await new Promise<string>((resolve) => socket.once('disconnect', resolve));
    expect(reason).toBe('io server disconnect');
  }, 10_000);

  it('counts refusals in /metrics', async () => {
    const text = await (await fetch(`${url}/metrics`)).text();
    expect(text).toMatch(/gateway_handshakes_refused_total\{reason="missing_token"\} [1-9]/);
    expect(text).toMatch(/gateway_handshakes_refused_total\{reason="origin"\} [1-9]/);
  });
});
