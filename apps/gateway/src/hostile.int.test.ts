import type { Socket } from 'socket.io-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  adminToken,
  type ClientSocket,
  type Cluster,
  changeEvent,
  closeClients,
  connect,
  createRelayPublisher,
  eventually,
  record,
  sleep,
  startCluster,
  subscribe,
} from './testing/cluster.ts';

/** The same socket without the typed event maps, to send what a typed client cannot. */
const raw = (socket: ClientSocket) => socket as unknown as Socket;

describe('hostile clients', () => {
  let cluster: Cluster;
  let url: string;

  beforeAll(async () => {
    cluster = await startCluster(1, {
      rateLimit: { perSecond: 1_000, burst: 1_000 },
      maxMessageBytes: 16 * 1024,
      maxRoomsPerSocket: 5,
    });
    url = cluster.urls[0] ?? '';
  });
  afterEach(closeClients);
  afterAll(async () => {
    await cluster?.close();
  });

  /** The replica still accepts a connection, subscribes it and delivers to it. */
  async function expectServing() {
    const socket = await connect(url, { token: await adminToken() });
    await subscribe(socket, ['employees']);
    const seen = record(socket);
    const relay = createRelayPublisher(cluster.bus);
    const event = changeEvent({ resource: 'employees' });
    await relay.publish([event]);
    await eventually(() => expect(seen).toEqual([event]));
    await relay.close();
  }

  it('answers malformed subscribe payloads and survives a missing ack', async () => {
    const socket = raw(await connect(url, { token: await adminToken() }));
    const ask = (...args: unknown[]) => socket.timeout(3_000).emitWithAck('subscribe', ...args);
    const invalid = { granted: [], denied: [{ channel: '', reason: 'invalid' }] };
    expect(await ask('clients')).toEqual(invalid);
    expect(await ask({ channels: ['clients'] })).toEqual(invalid);
    expect(await ask()).toEqual(invalid);
    expect(await ask(Buffer.from([0xde, 0xad, 0xbe, 0xef]))).toEqual(invalid);
    expect(await ask(Array(1_000).fill('clients'))).toEqual({
      granted: [],
      denied: [{ channel: '', reason: 'limit' }],
    });
    expect(await ask([1, { a: 1 }, 'clients@../../etc'])).toMatchObject({
      granted: [],
      denied: [{ reason: 'invalid' }, { reason: 'invalid' }, { reason: 'invalid' }],
    });
    // No ack at all: nothing to answer, nothing to crash.
    socket.emit('subscribe', ['clients']);
    socket.emit('unsubscribe');
    socket.emit('subscribe');
    expect(await ask(['branches'])).toEqual({ granted: ['branches'], denied: [] });
    expect(socket.connected).toBe(true);
  });

  it('acks unknown events with an error and drops them without an ack', async () => {
    const socket = raw(await connect(url, { token: await adminToken() }));
    socket.emit('drop-table', 'x');
    expect(await socket.timeout(3_000).emitWithAck('admin:shutdown', {})).toEqual({
      error: {
        code: 'bad_request',
        message: 'unknown event; use subscribe, unsubscribe, presence:watch or presence:unwatch',
      },
    });
    expect(socket.connected).toBe(true);
  });

  it('caps the rooms of one socket', async () => {
    const socket = await connect(url, { token: await adminToken() });
    const channels = ['clients', 'orders', 'stock', 'reports', 'branches', 'employees', 'products'];
    const ack = await subscribe(socket, channels);
    expect(ack.granted).toEqual(channels.slice(0, 5));
    expect(ack.denied).toEqual([
      { channel: 'employees', reason: 'limit' },
      { channel: 'products', reason: 'limit' },
    ]);
  });

  it('closes connections that send junk or oversized messages and keeps serving others', async () => {
    const junk = raw(await connect(url, { token: await adminToken() }));
    const junkClosed = new Promise<string>((resolve) => junk.once('disconnect', resolve));
    // Not a Socket.IO packet at all, then binary data nobody announced.
    junk.io.engine.write('this is not a socket.io packet');
    junk.io.engine.write(new Uint8Array([0xff, 0x00, 0x13, 0x37]) as unknown as string);
    expect(await junkClosed).toMatch(/transport close|parse error/);

    const big = raw(await connect(url, { token: await adminToken() }));
    const bigClosed = new Promise<string>((resolve) => big.once('disconnect', resolve));
    big.emit('subscribe', ['x'.repeat(64 * 1024)]);
    expect(await bigClosed).toMatch(/transport (close|error)/);

    await expectServing();
  });
});

describe('rate limit', () => {
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = await startCluster(1, { rateLimit: { perSecond: 5, burst: 5 } });
  });
  afterEach(closeClients);
  afterAll(async () => {
    await cluster?.close();
  });

  it('answers messages over the budget with "limit" and recovers', async () => {
    const socket = await connect(cluster.urls[0] ?? '', { token: await adminToken() });
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => subscribe(socket, ['clients'])),
    );
    const limited = answers.filter((a) => a.denied[0]?.reason === 'limit').length;
    expect(20 - limited).toBeGreaterThanOrEqual(5);
    expect(20 - limited).toBeLessThanOrEqual(7);
    await sleep(1_100);
    expect(await subscribe(socket, ['clients'])).toEqual({ granted: ['clients'], denied: [] });
    expect(socket.connected).toBe(true);
  });

  it('disconnects a client that keeps flooding', async () => {
    const socket = raw(await connect(cluster.urls[0] ?? '', { token: await adminToken() }));
    const closed = new Promise<string>((resolve) => socket.once('disconnect', resolve));
    for (let i = 0; i < 200; i++) socket.emit('subscribe', ['clients']);
    expect(await closed).toBe('io server disconnect');
  });
});
