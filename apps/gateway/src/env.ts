import { hostname } from 'node:os';
import { authEnv } from '@dynapharm/auth';
import { demoSeedEnv } from '@dynapharm/db/env';
import { busEnv } from '@dynapharm/outbox';
import { defineEnv, envFlag, envFragment, productionSecretProblem } from '@dynapharm/types';
import bcrypt from 'bcryptjs';
import { z } from 'zod';

export { EnvError } from '@dynapharm/types';

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

/** Comma list of origins; `*` alone allows any origin. */
const origins = z
  .string()
  .transform((v) =>
    v
      .split(',')
      .map((s) => s.trim().replace(/\/+$/, ''))
      .filter(Boolean),
  )
  .pipe(z.array(z.union([z.literal('*'), z.url({ protocol: /^https?$/ })])));

/** HAProxy's `timeout client` / `timeout server` (infra/haproxy, the launcher's config). */
const FRONT_DOOR_IDLE_TIMEOUT_MS = 60_000;

const gatewayOwn = envFragment(
  {
    PORT: int(0, 65535).default(8081),
    HOST: z.string().min(1).default('0.0.0.0'),
    /** How other components reach this replica; shown in `/stats`. */
    PUBLIC_URL: z.url().optional(),
    REPLICA_ID: z
      .string()
      .regex(/^[\w.:-]{1,100}$/, 'letters, digits, ".", ":", "_" or "-" (max 100)')
      .default(`${hostname()}-${process.pid}`),
    ALLOWED_ORIGINS: origins.default(['http://localhost:8080', 'http://127.0.0.1:8080']),
    DRAIN_TIMEOUT_MS: int(0, 600_000).default(10_000),
    DRAIN_SPREAD_MS: int(0, 600_000).default(5_000),
    LOG_LEVEL: z
      .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
      .default('info'),
    MAX_MESSAGE_BYTES: int(1024, 10_000_000).default(64 * 1024),
    MAX_PUBLISH_BYTES: int(1024, 10_000_000).default(256 * 1024),
    SOCKET_RATE_PER_SEC: int(1, 10_000).default(20),
    SOCKET_RATE_BURST: int(1, 100_000).default(40),
    MAX_ROOMS_PER_SOCKET: int(1, 100_000).default(500),
    /** A gateway's presence lease; a killed gateway's users leave within about 4/3 of it. */
    PRESENCE_TTL_MS: int(300, 600_000).default(6_000),
    /**
     * Socket.IO heartbeat: a client whose path to this gateway went silent (a
     * partitioned host, a dead link) notices within interval + timeout and
     * reconnects through the front door.
     */
    SOCKET_PING_INTERVAL_MS: int(200, 300_000).default(25_000),
    SOCKET_PING_TIMEOUT_MS: int(200, 300_000).default(20_000),
    COLLECT_DEFAULT_METRICS: envFlag.default(true),
  },
  (env, issue) => {
    if (env.DRAIN_SPREAD_MS > env.DRAIN_TIMEOUT_MS) {
      issue('DRAIN_SPREAD_MS', `must not exceed DRAIN_TIMEOUT_MS (${env.DRAIN_TIMEOUT_MS})`);
    }
    const heartbeat = env.SOCKET_PING_INTERVAL_MS + env.SOCKET_PING_TIMEOUT_MS;
    if (heartbeat >= FRONT_DOOR_IDLE_TIMEOUT_MS) {
      // A long-polling GET is held for up to interval + timeout.
      issue(
        'SOCKET_PING_TIMEOUT_MS',
        `SOCKET_PING_INTERVAL_MS + SOCKET_PING_TIMEOUT_MS must stay below the front door's ${FRONT_DOOR_IDLE_TIMEOUT_MS} ms client/server timeouts (is ${heartbeat})`,
      );
    }
    if (env.SOCKET_RATE_BURST < env.SOCKET_RATE_PER_SEC) {
      issue(
        'SOCKET_RATE_BURST',
        `must be at least SOCKET_RATE_PER_SEC (${env.SOCKET_RATE_PER_SEC})`,
      );
    }
  },
);

// One fragment per token, so a bad one does not hide the other's problem.
const publishToken = envFragment(
  { PUBLISH_TOKEN: z.string().min(16, 'must be at least 16 characters') },
  (env, issue) => {
    const problem = env.NODE_ENV === 'production' && productionSecretProblem(env.PUBLISH_TOKEN);
    if (problem) issue('PUBLISH_TOKEN', problem);
  },
);

const metricsToken = envFragment(
  {
    /** Unset leaves `/metrics` open, which production refuses. */
    METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  },
  (env, issue) => {
    const problem = env.NODE_ENV === 'production' && productionSecretProblem(env.METRICS_TOKEN);
    if (problem) issue('METRICS_TOKEN', problem);
  },
);

/** A bcrypt hash as `bcrypt`, `bcryptjs` and `htpasswd -B` write it. */
const bcryptHash = z
  .string()
  .trim()
  .regex(
    /^\$2[aby]\$\d{2}\$[./A-Za-z0-9]{53}$/,
    'must be a bcrypt hash ($2b$12$…, 60 characters); make one with `pnpm admin-ui-password`',
  );

/**
 * Admin UI passwords written in this repository (test suites). Each check is a
 * bcrypt comparison at the hash's cost (~0.2 s at 12), so the list stays short.
 */
export const publishedAdminUiPasswords: readonly string[] = ['admin-ui-suite-password-0123456789'];

/** Cost below which production refuses an Admin UI password hash. */
export const MIN_ADMIN_UI_BCRYPT_COST = 10;

/**
 * The Socket.IO Admin UI (off unless `ADMIN_UI_ENABLED`). Only a bcrypt hash
 * of the password is configured. In production the UI is read-only, and a hash
 * that is cheap to crack or whose password is published in this repository is
 * refused, like the other secrets.
 */
const adminUi = envFragment(
  {
    ADMIN_UI_ENABLED: envFlag.default(false),
    ADMIN_UI_USERNAME: z
      .string()
      .regex(/^[\w.@-]{1,64}$/, 'letters, digits, ".", "@", "_" or "-" (max 64)')
      .default('admin'),
    ADMIN_UI_PASSWORD_HASH: bcryptHash.optional(),
    /** Default: read-only in production, not elsewhere. */
    ADMIN_UI_READONLY: envFlag.optional(),
  },
  (env, issue) => {
    if (!env.ADMIN_UI_ENABLED) return;
    const hash = env.ADMIN_UI_PASSWORD_HASH;
    if (hash === undefined) {
      issue(
        'ADMIN_UI_PASSWORD_HASH',
        'required with ADMIN_UI_ENABLED=true; make one with `pnpm admin-ui-password` (docs/operations.md)',
      );
    }
    if (env.NODE_ENV !== 'production') return;
    if (env.ADMIN_UI_READONLY === false) {
      issue('ADMIN_UI_READONLY', 'must not be false with NODE_ENV=production');
    }
    if (hash === undefined) return;
    const make = 'make one with `pnpm admin-ui-password` (docs/operations.md)';
    if (bcrypt.getRounds(hash) < MIN_ADMIN_UI_BCRYPT_COST) {
      issue(
        'ADMIN_UI_PASSWORD_HASH',
        `bcrypt cost must be at least ${MIN_ADMIN_UI_BCRYPT_COST} with NODE_ENV=production; ${make}`,
      );
    } else if (publishedAdminUiPasswords.some((known) => bcrypt.compareSync(known, hash))) {
      issue(
        'ADMIN_UI_PASSWORD_HASH',
        `is the hash of a value published in the repository; ${make}`,
      );
    }
  },
);

/** The gateway's environment: its own variables, the token settings, the bus, the Admin UI. */
export const gatewayEnv = defineEnv('@dynapharm/gateway', [
  demoSeedEnv,
  authEnv,
  busEnv,
  gatewayOwn,
  publishToken,
  metricsToken,
  adminUi,
]);

export type Env = ReturnType<typeof gatewayEnv.parse>;

/**
 * Parses the environment once at boot; empty variables count as unset. This is the only place of the gateway
 * that reads `process.env`; everything else takes options.
 */
export function loadEnv(source: NodeJS.ProcessEnv = process.env): Env {
  return gatewayEnv.parse(source);
}
