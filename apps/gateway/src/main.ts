import { readFileSync } from 'node:fs';
import { tokenVerifierOptionsFromEnv } from '@dynapharm/auth';
import { busConfigFromEnv } from '@dynapharm/outbox';
import { pino } from 'pino';
import { EnvError, loadEnv } from './env.ts';
import { createGateway } from './gateway.ts';

let env: ReturnType<typeof loadEnv>;
try {
  env = loadEnv();
} catch (err) {
  console.error(err instanceof EnvError ? err.message : err);
  process.exit(1);
}

const { version } = JSON.parse(
  readFileSync(new URL('../package.json', import.meta.url), 'utf8'),
) as { version: string };

const logger = pino({
  level: env.LOG_LEVEL,
  base: { service: 'gateway', pid: process.pid },
  timestamp: pino.stdTimeFunctions.isoTime,
});
// The gateway adds `replicaId` to its own logs; this child is for main's.
const log = logger.child({ replicaId: env.REPLICA_ID });

const gateway = createGateway({
  port: env.PORT,
  host: env.HOST,
  publicUrl: env.PUBLIC_URL,
  replicaId: env.REPLICA_ID,
  bus: busConfigFromEnv(env),
  auth: tokenVerifierOptionsFromEnv(env),
  allowedOrigins: env.ALLOWED_ORIGINS,
  publishToken: env.PUBLISH_TOKEN,
  metricsToken: env.METRICS_TOKEN,
  drainTimeoutMs: env.DRAIN_TIMEOUT_MS,
  drainSpreadMs: env.DRAIN_SPREAD_MS,
  maxMessageBytes: env.MAX_MESSAGE_BYTES,
  maxPublishBytes: env.MAX_PUBLISH_BYTES,
  rateLimit: { perSecond: env.SOCKET_RATE_PER_SEC, burst: env.SOCKET_RATE_BURST },
  maxRoomsPerSocket: env.MAX_ROOMS_PER_SOCKET,
  presenceTtlMs: env.PRESENCE_TTL_MS,
  pingIntervalMs: env.SOCKET_PING_INTERVAL_MS,
  pingTimeoutMs: env.SOCKET_PING_TIMEOUT_MS,
  collectDefaultMetrics: env.COLLECT_DEFAULT_METRICS,
  ...(env.ADMIN_UI_ENABLED && env.ADMIN_UI_PASSWORD_HASH
    ? {
        adminUi: {
          username: env.ADMIN_UI_USERNAME,
          passwordHash: env.ADMIN_UI_PASSWORD_HASH,
          readonly: env.ADMIN_UI_READONLY ?? env.NODE_ENV === 'production',
          mode: env.NODE_ENV === 'production' ? ('production' as const) : ('development' as const),
        },
      }
    : {}),
  version,
  logger,
});

let stopping = false;
const stop = (signal: NodeJS.Signals) => {
  if (stopping) {
    log.warn({ signal }, 'second signal; exiting without finishing the drain');
    process.exit(1);
  }
  stopping = true;
  log.info({ signal }, 'draining before exit');
  gateway.drain().then(
    () => process.exit(0),
    (err: unknown) => {
      log.error({ err }, 'drain failed');
      process.exit(1);
    },
  );
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);

try {
  await gateway.start();
} catch (err) {
  log.fatal({ err }, 'gateway failed to start');
  await gateway.close();
  process.exit(1);
}
