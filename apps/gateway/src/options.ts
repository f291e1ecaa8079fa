import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { TokenVerifierOptions } from '@dynapharm/auth';
import type { BusConfig } from '@dynapharm/outbox';
import { type Logger, pino } from 'pino';
import type { AdminUiOptions } from './admin-ui.ts';

/** Options of {@link createGateway}. Only `bus`, `auth` and `publishToken` are required. */
export interface GatewayOptions {
  /** Port to listen on; `0` picks a free one (tests). @default 0 */
  port?: number;
  /** Interface to listen on. @default '127.0.0.1' */
  host?: string;
  /** Where other components reach this replica; shown in `/stats`. @default `http://<host>:<port>` */
  publicUrl?: string;
  /** Identity of this replica in logs, `server:hello` and `/stats`. @default `<hostname>-<pid>-<random>` */
  replicaId?: string;
  /**
   * The fan-out bus, exactly as the relay has it (both parse it with
   * `busEnv`); its Redis also holds the replica registry.
   */
  bus: BusConfig;
  /** Token verification (HS256 secret or JWKS URL). */
  auth: TokenVerifierOptions;
  /** Origins allowed to open a connection; `'*'` allows any. Requests without `Origin` are allowed. @default [] */
  allowedOrigins?: readonly string[];
  /** Bearer token of `POST /publish`. */
  publishToken: string;
  /** Bearer token of `GET /metrics`; unset leaves metrics open (keep them off the public LB). */
  metricsToken?: string;
  /** Hard deadline of `drain()`. @default 10000 */
  drainTimeoutMs?: number;
  /** Window over which `drain()` spreads client disconnects. @default 5000 */
  drainSpreadMs?: number;
  /** Largest message a client may send (Socket.IO `maxHttpBufferSize`). @default 65536 */
  maxMessageBytes?: number;
  /** Largest `POST /publish` body. @default 262144 */
  maxPublishBytes?: number;
  /** Per-socket event rate limit (token bucket). @default { perSecond: 20, burst: 40 } */
  rateLimit?: { perSecond: number; burst: number };
  /** Most rooms one socket may be in. @default 500 */
  maxRoomsPerSocket?: number;
  /** How often the replica announces itself in Redis. @default 1000 */
  heartbeatIntervalMs?: number;
  /** How long an announcement lives; a dead replica leaves `/stats` after this. @default 3000 */
  heartbeatTtlMs?: number;
  /** How long a device's acknowledged offset is kept once nobody refreshes it. @default 120000 */
  deviceTtlMs?: number;
  /** A gateway that has heard no relay beat for this long says so in `/health` and the log. @default 10000 */
  relayQuietMs?: number;
  /**
   * A gateway's presence lease: its users leave their branches' presence at
   * most this long (plus a third of it) after it died. @default 6000
   */
  presenceTtlMs?: number;
  /**
   * Socket.IO heartbeat. A client that hears no ping for interval + timeout
   * (its gateway's host is cut off) disconnects and reconnects elsewhere.
   * @default 25000 and 20000 (Socket.IO's own)
   */
  pingIntervalMs?: number;
  pingTimeoutMs?: number;
  /** Adds prom-client's process metrics to `/metrics`. @default false */
  collectDefaultMetrics?: boolean;
  /** The Socket.IO Admin UI (namespace `/admin`, files at `/admin-ui/`); off when unset. */
  adminUi?: AdminUiOptions;
  /** Version reported by `GET /`. @default '0.0.0' */
  version?: string;
  /** Logger; tests pass a silent one. @default silent */
  logger?: Logger;
}

export type ResolvedOptions = Required<
  Omit<GatewayOptions, 'publicUrl' | 'metricsToken' | 'adminUi'>
> &
  Pick<GatewayOptions, 'publicUrl' | 'metricsToken' | 'adminUi'>;

/** The one place defaults are applied. */
export function resolveOptions(options: GatewayOptions): ResolvedOptions {
  return {
    port: 0,
    host: '127.0.0.1',
    replicaId: `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`,
    relayQuietMs: 10_000,
    allowedOrigins: [],
    drainTimeoutMs: 10_000,
    drainSpreadMs: 5_000,
    maxMessageBytes: 64 * 1024,
    maxPublishBytes: 256 * 1024,
    rateLimit: { perSecond: 20, burst: 40 },
    maxRoomsPerSocket: 500,
    heartbeatIntervalMs: 1_000,
    heartbeatTtlMs: 3_000,
    deviceTtlMs: 120_000,
    presenceTtlMs: 6_000,
    pingIntervalMs: 25_000,
    pingTimeoutMs: 20_000,
    collectDefaultMetrics: false,
    version: '0.0.0',
    logger: pino({ level: 'silent' }),
    ...withoutUndefined(options),
  };
}

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
