import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTokenVerifier, tokenVerifierOptionsFromEnv } from '@dynapharm/auth';
import { createDb } from '@dynapharm/db';
import {
  type BusConfig,
  busConfigFromEnv,
  createBusRedis,
  createCommitSignal,
  createRelay,
  type RelayOptions,
} from '@dynapharm/outbox';
import type { Logger } from 'pino';
import { createApp } from './app.ts';
import type { Env } from './env.ts';
import { scheduleIdempotencyExpiry } from './idempotency-expiry.ts';
import { createMetrics } from './metrics.ts';

export type ApiConfig = Pick<
  Env,
  | 'DATABASE_URL'
  | 'DATABASE_POOL_MAX'
  | 'REDIS_URL'
  | 'REDIS_CLUSTER_NODES'
  | 'REDIS_KEY_PREFIX'
  | 'REDIS_ADAPTER'
  | 'AUTH_JWT_SECRET'
  | 'AUTH_JWKS_URL'
  | 'AUTH_JWT_ISSUER'
  | 'AUTH_JWT_AUDIENCE'
  | 'AUTH_CLOCK_TOLERANCE_SECONDS'
  | 'AUTH_MODE'
  | 'ALLOWED_ORIGINS'
  | 'WRITE_RATE_LIMIT_PER_MINUTE'
  | 'READ_RATE_LIMIT_PER_MINUTE'
  | 'AUTH_RATE_LIMIT_PER_MINUTE'
  | 'IDEMPOTENCY_KEY_TTL_HOURS'
  | 'RELAY_ENABLED'
  | 'RELAY_POLL_MS'
  | 'RELAY_BATCH_SIZE'
  | 'SYNC_LOG_RETENTION_DAYS'
  | 'TRUST_PROXY'
  | 'METRICS_TOKEN'
> &
  Partial<Pick<Env, 'PROMETHEUS_URL' | 'PROMETHEUS_TIMEOUT_MS' | 'RELAY_DATABASE_URL'>>;

export interface ApiServerOptions {
  config: ApiConfig;
  logger: Logger;
  /** How often expired idempotency keys are deleted. @default 10 minutes */
  idempotencyExpiryIntervalMs?: number;
  /** Extra relay settings (tests shorten timings). */
  relay?: Partial<Omit<RelayOptions, 'databaseUrl' | 'bus' | 'logger' | 'metrics'>>;
}

/** Redis client settings shared by the API's connections: never crash, reconnect with backoff. */
function redisClient(bus: BusConfig, logger: Logger, name: string, offlineQueue: boolean) {
  const client = createBusRedis(bus, {
    connectionName: name,
    enableOfflineQueue: offlineQueue,
    maxRetriesPerRequest: offlineQueue ? 3 : 0,
    retryStrategy: (times) => Math.min(times * 200, 3000),
    lazyConnect: false,
  });
  client.on('error', (err) => logger.debug({ err, name }, 'redis connection error'));
  return client;
}

/**
 * One API process: Express app, database pool, Redis, and the relay.
 * `start()` listens; `close()` drains HTTP, stops the relay and closes pools.
 */
export function createApiServer({
  config,
  logger,
  relay: relayOverrides,
  idempotencyExpiryIntervalMs = 10 * 60_000,
}: ApiServerOptions) {
  const metrics = createMetrics();
  const database = createDb(config.DATABASE_URL, { max: config.DATABASE_POOL_MAX });
  const bus = busConfigFromEnv(config);
  const redis = redisClient(bus, logger, 'api', true);
  // Requests may go through a transaction pooler (PgBouncer); the relay's
  // session (advisory lock, LISTEN) must not, hence its own URL.
  const relay = createRelay({
    databaseUrl: config.RELAY_DATABASE_URL ?? config.DATABASE_URL,
    bus,
    logger,
    metrics,
    batchSize: config.RELAY_BATCH_SIZE,
    pollIntervalMs: config.RELAY_POLL_MS,
    retentionMs: config.SYNC_LOG_RETENTION_DAYS * 24 * 3600 * 1000,
    ...relayOverrides,
  });
  let draining = false;
  const commits = createCommitSignal(database.pool, relay, logger);
  const app = createApp({
    db: database.db,
    pool: database.pool,
    redis,
    verify: createTokenVerifier(tokenVerifierOptionsFromEnv(config)),
    logger,
    metrics,
    allowedOrigins: config.ALLOWED_ORIGINS,
    devLoginSecret: config.AUTH_MODE === 'dev' ? config.AUTH_JWT_SECRET : undefined,
    writeRateLimitPerMinute: config.WRITE_RATE_LIMIT_PER_MINUTE,
    readRateLimitPerMinute: config.READ_RATE_LIMIT_PER_MINUTE,
    authRateLimitPerMinute: config.AUTH_RATE_LIMIT_PER_MINUTE,
    trustProxy: config.TRUST_PROXY,
    metricsToken: config.METRICS_TOKEN,
    isLeader: () => relay.isLeader(),
    isDraining: () => draining,
    onCommitted: () => commits.signal(),
    ...(config.PROMETHEUS_URL
      ? {
          prometheus: {
            url: config.PROMETHEUS_URL,
            timeoutMs: config.PROMETHEUS_TIMEOUT_MS ?? 2000,
          },
        }
      : {}),
    ...(relayOverrides?.lockId === undefined ? {} : { relayLockId: relayOverrides.lockId }),
  });
  let http: Server | undefined;
  let stopExpiry: (() => void) | undefined;

  return {
    app,
    relay,
    metrics,
    pool: database.pool,
    async start(port: number, host = '0.0.0.0') {
      http = app.listen(port, host);
      await once(http, 'listening');
      http.keepAliveTimeout = 65_000;
      if (config.RELAY_ENABLED) relay.start();
      stopExpiry = scheduleIdempotencyExpiry(
        database.pool,
        logger,
        config.IDEMPOTENCY_KEY_TTL_HOURS * 3600_000,
        idempotencyExpiryIntervalMs,
      );
      return { port: (http.address() as AddressInfo).port };
    },
    async close() {
      draining = true;
      stopExpiry?.();
      await relay.close();
      if (http) {
        const closed = once(http, 'close');
        http.close();
        http.closeIdleConnections();
        const timer = setTimeout(() => http?.closeAllConnections(), 5000);
        await closed;
        clearTimeout(timer);
      }
      redis.disconnect();
      await database.close();
    },
  };
}

export type ApiServer = ReturnType<typeof createApiServer>;
