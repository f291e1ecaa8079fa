import { signToken } from '@dynapharm/auth';
import { createDb, seedDatabase } from '@dynapharm/db';
import {
  createTestDatabase,
  type IsolatedDatabase,
  redisNamespace,
  stack,
} from '@dynapharm/testkit';
import type { Role } from '@dynapharm/types';
import pino, { type Logger } from 'pino';
import {
  type ApiConfig,
  type ApiServer,
  type ApiServerOptions,
  createApiServer,
} from '../server.ts';
import { type ContractChecker, createContractChecker } from './contract.ts';

export { type ContractChecker, createContractChecker } from './contract.ts';

export const TEST_SECRET = 'integration-test-secret-0123456789abcdef';

export interface TestApi {
  api: ApiServer;
  url: string;
  database: IsolatedDatabase;
  keyPrefix: string;
  branches: { id: string; code: string }[];
  token(role: Role, branches?: string[], sub?: string): Promise<string>;
  /**
   * Performs a request and checks the answer against the API's own OpenAPI
   * document; a mismatch rejects, so the test that caused it fails.
   */
  request(path: string, init?: RequestInit & { token?: string; json?: unknown }): Promise<Response>;
  close(): Promise<void>;
}

/**
 * Starts one API process on a fresh seeded database and the shared Redis, with
 * its own adapter key prefix. Pass `seed: false` for an empty database.
 */
export async function startTestApi(
  options: {
    seed?: boolean;
    relay?: boolean;
    pollMs?: number;
    /** Join an existing database (a second API process); it is not dropped on close. */
    database?: IsolatedDatabase;
    /** Adapter key prefix; defaults to a fresh namespace. */
    keyPrefix?: string;
    env?: Partial<ApiConfig>;
    /** Extra relay settings, e.g. `onPublished` to see what Redis confirmed. */
    relayOptions?: ApiServerOptions['relay'];
    /** @default a silent logger, or TEST_LOG_LEVEL's */
    logger?: Logger;
  } = {},
): Promise<TestApi> {
  const owned = !options.database;
  const database = options.database ?? (await createTestDatabase());
  if (owned && options.seed !== false) {
    const seeded = createDb(database.url, { max: 2 });
    await seedDatabase(seeded.db, { clientsPerBranch: 3, ordersPerBranch: 2, reportDays: 2 });
    await seeded.close();
  }
  const keyPrefix = options.keyPrefix ?? `${redisNamespace('sio')}socket.io`;
  const api = createApiServer({
    config: {
      DATABASE_URL: database.url,
      DATABASE_POOL_MAX: 10,
      REDIS_URL: stack().redisUrl,
      REDIS_KEY_PREFIX: keyPrefix,
      REDIS_ADAPTER: 'classic',
      AUTH_JWT_SECRET: TEST_SECRET,
      AUTH_JWKS_URL: undefined,
      AUTH_MODE: 'dev',
      AUTH_CLOCK_TOLERANCE_SECONDS: 30,
      ALLOWED_ORIGINS: ['http://localhost:8080'],
      WRITE_RATE_LIMIT_PER_MINUTE: 100_000,
      READ_RATE_LIMIT_PER_MINUTE: 100_000,
      AUTH_RATE_LIMIT_PER_MINUTE: 100_000,
      IDEMPOTENCY_KEY_TTL_HOURS: 24,
      RELAY_ENABLED: options.relay ?? true,
      RELAY_POLL_MS: options.pollMs ?? 200,
      RELAY_BATCH_SIZE: 500,
      SYNC_LOG_RETENTION_DAYS: 30,
      TRUST_PROXY: false,
      ...options.env,
    },
    logger: options.logger ?? pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
    ...(options.relayOptions ? { relay: options.relayOptions } : {}),
  });
  const { port } = await api.start(0, '127.0.0.1');
  const url = `http://127.0.0.1:${port}`;
  let contract: Promise<ContractChecker> | undefined;
  const { rows } = await api.pool.query<{ id: string; code: string }>(
    'SELECT id, code FROM branches ORDER BY code',
  );
  return {
    api,
    url,
    database,
    keyPrefix,
    branches: rows,
    token: (role, branches = [], sub = `${role}-user`) =>
      signToken({ sub, role, branches }, { secret: TEST_SECRET }),
    request: async (path, init = {}) => {
      const { token, json, headers, ...rest } = init;
      const h = new Headers(headers);
      if (token) h.set('authorization', `Bearer ${token}`);
      if (json !== undefined) h.set('content-type', 'application/json');
      const res = await fetch(`${url}${path}`, {
        ...rest,
        headers: h,
        body: json !== undefined ? JSON.stringify(json) : rest.body,
      });
      contract ??= loadContract(url);
      const method = (rest.method ?? 'GET').toUpperCase();
      const violations = await (await contract).check(method, `${url}${path}`, res);
      if (violations.length > 0) {
        throw new Error(
          `${method} ${path} answered ${res.status}, which the OpenAPI document does not allow:\n  ${violations.join('\n  ')}`,
        );
      }
      return res;
    },
    async close() {
      await api.close();
      if (owned) await database.drop();
    },
  };
}

/** A checker for the document an API at `url` serves (what its clients read). */
export async function loadContract(url: string): Promise<ContractChecker> {
  const res = await fetch(`${url}/api/openapi.json`);
  if (!res.ok) throw new Error(`GET /api/openapi.json answered ${res.status}`);
  return createContractChecker((await res.json()) as Record<string, unknown>);
}
