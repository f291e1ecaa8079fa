import { signToken } from '@dynapharm/auth';
import {
  type BusConfig,
  type BusPublisher,
  createBusPublisher,
  resolveBusConfig,
} from '@dynapharm/outbox';
import { redisNamespace, stack } from '@dynapharm/testkit';
import type {
  ChangeEvent,
  ClientToServerEvents,
  PublishableChange,
  ServerToClientEvents,
  SubscribeAck,
  TokenClaims,
} from '@dynapharm/types';
import { io, type ManagerOptions, type Socket, type SocketOptions } from 'socket.io-client';
import { createGateway, type Gateway, type GatewayOptions } from '../gateway.ts';

export const secret = 'integration-test-secret-0123456789abcdef';
export const publishToken = 'integration-publish-token-0123456789';
export const allowedOrigin = 'http://console.test';

export const branchA = '0193a1b2-0000-7000-8000-00000000000a';
export const branchB = '0193a1b2-0000-7000-8000-00000000000b';

export type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

export interface Cluster {
  gateways: Gateway[];
  urls: string[];
  prefix: string;
  redisUrl: string;
  /** The bus the gateways are on; publish to it with {@link createRelayPublisher}. */
  bus: BusConfig;
  close(): Promise<void>;
}

/**
 * Starts `count` real gateways in this process on one Redis, with a key prefix
 * of their own so concurrent tests never share rooms or registry entries.
 */
export async function startCluster(
  count = 3,
  {
    bus: busOverrides,
    ...overrides
  }: Partial<Omit<GatewayOptions, 'bus'>> & {
    bus?: Partial<BusConfig>;
  } = {},
): Promise<Cluster> {
  const prefix = redisNamespace('gw').replace(/:$/, '');
  const bus = resolveBusConfig({ redisUrl: stack().redisUrl, keyPrefix: prefix, ...busOverrides });
  const gateways = Array.from({ length: count }, (_, i) =>
    createGateway({
      bus,
      replicaId: `${prefix}-r${i}`,
      auth: { secret },
      publishToken,
      allowedOrigins: [allowedOrigin],
      heartbeatIntervalMs: 200,
      heartbeatTtlMs: 1_000,
      ...overrides,
    }),
  );
  const ports = await Promise.all(gateways.map((g) => g.start()));
  return {
    gateways,
    urls: ports.map(({ port }) => `http://127.0.0.1:${port}`),
    prefix,
    redisUrl: bus.redisUrl,
    bus,
    async close() {
      await Promise.all(gateways.map((g) => g.close()));
    },
  };
}

export function tokenFor(claims: Partial<TokenClaims> = {}, expiresIn: string | number = '1h') {
  return signToken(
    {
      sub: claims.sub ?? 'user',
      role: claims.role ?? 'admin',
      branches: claims.branches ?? [],
      ...(claims.name ? { name: claims.name } : {}),
    },
    { secret, expiresIn },
  );
}

export const adminToken = () => tokenFor({ sub: 'admin', role: 'admin' });
export const staffToken = (branch: string) =>
  tokenFor({ sub: `staff-${branch.slice(-1)}`, role: 'staff', branches: [branch] });

const opened = new Set<ClientSocket>();
const hellos = new WeakMap<ClientSocket, string>();

/** The replica id a socket was greeted with (`server:hello`). */
export function helloOf(socket: ClientSocket): string | undefined {
  return hellos.get(socket);
}

/** Opens a client; resolves once connected, rejects with the `connect_error`. */
export function connect(
  url: string,
  options: Partial<ManagerOptions & SocketOptions> & { token?: string } = {},
): Promise<ClientSocket> {
  const { token, ...rest } = options;
  const socket: ClientSocket = io(url, {
    path: '/ws',
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
    timeout: 5_000,
    ...(token === undefined ? {} : { auth: { token } }),
    ...rest,
  });
  opened.add(socket);
  socket.once('server:hello', ({ replicaId }) => hellos.set(socket, replicaId));
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', (err) => {
      socket.close();
      reject(err);
    });
  });
}

/** Closes every client opened by {@link connect}. */
export function closeClients() {
  for (const socket of opened) socket.close();
  opened.clear();
}

export function subscribe(socket: ClientSocket, channels: string[]): Promise<SubscribeAck> {
  return socket.timeout(3_000).emitWithAck('subscribe', channels);
}

/** Records every change event a socket receives. */
export function record(socket: ClientSocket): ChangeEvent[] {
  const seen: ChangeEvent[] = [];
  socket.onAny((name: string, payload: ChangeEvent) => {
    if (!name.startsWith('server:')) seen.push(payload);
  });
  return seen;
}

let offset = 0;
const testEpoch = crypto.randomUUID();
export function changeEvent(overrides: Partial<ChangeEvent> = {}): ChangeEvent {
  offset += 1;
  return {
    resource: 'clients',
    action: 'created',
    id: crypto.randomUUID(),
    branchId: branchA,
    version: 1,
    offset,
    epoch: testEpoch,
    at: new Date().toISOString(),
    data: { name: 'Amina' },
    ...overrides,
  };
}

/** A change as a service may send it to `POST /publish`: no stream position. */
export function publishable(overrides: Partial<ChangeEvent> = {}): PublishableChange {
  const { offset: _offset, epoch: _epoch, ...change } = changeEvent(overrides);
  return change;
}

/** Publishes the way the relay does: through the bus adapter, on the gateways' bus. */
export function createRelayPublisher(bus: BusConfig): BusPublisher {
  return createBusPublisher(bus);
}

export function postPublish(url: string, body: unknown, headers: Record<string, string> = {}) {
  return fetch(`${url}/publish`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${publishToken}`,
      'content-type': 'application/json',
      ...headers,
    },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

/** Retries `check` until it stops throwing, or rethrows its last error after `timeoutMs`. */
export async function eventually<T>(check: () => T | Promise<T>, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await sleep(50);
    }
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
