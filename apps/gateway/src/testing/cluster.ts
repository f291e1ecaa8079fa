import { signToken } from '@dynapharm/auth';
import { redisNamespace, stack } from '@dynapharm/testkit';
import type {
  ChangeEvent,
  ClientToServerEvents,
  ServerToClientEvents,
  SubscribeAck,
  TokenClaims,
} from '@dynapharm/types';
import { Emitter } from '@socket.io/redis-emitter';
import { Redis } from 'ioredis';
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
  close(): Promise<void>;
}

/**
 * Starts `count` real gateways in this process on one Redis, with a key prefix
 * of their own so concurrent tests never share rooms or registry entries.
 */
export async function startCluster(
  count = 3,
  overrides: Partial<GatewayOptions> = {},
): Promise<Cluster> {
  const prefix = redisNamespace('gw').replace(/:$/, '');
  const redisUrl = overrides.redisUrl ?? stack().redisUrl;
  const gateways = Array.from({ length: count }, (_, i) =>
    createGateway({
      redisUrl,
      redisKeyPrefix: prefix,
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
    redisUrl,
    async close() {
      await Promise.all(gateways.map((g) => g.close()));
    },
  };
}

export function tokenFor(claims: Partial<TokenClaims> = {}, expiresIn: string | number = '1h') {
  return signToken(
    { sub: claims.sub ?? 'user', role: claims.role ?? 'admin', branches: claims.branches ?? [] },
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
export function changeEvent(overrides: Partial<ChangeEvent> = {}): ChangeEvent {
  offset += 1;
  return {
    resource: 'clients',
    action: 'created',
    id: crypto.randomUUID(),
    branchId: branchA,
    version: 1,
    offset,
    at: new Date().toISOString(),
    data: { name: 'Amina' },
    ...overrides,
  };
}

/** The relay's way of publishing: the Redis emitter, with the gateways' key prefix. */
export function createRelayEmitter(redisUrl: string, prefix: string) {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: null });
  redis.on('error', () => {});
  const emitter = new Emitter<ServerToClientEvents>(redis, { key: prefix });
  return { emitter, close: () => redis.disconnect() };
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
