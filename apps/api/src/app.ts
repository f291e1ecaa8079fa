import { randomUUID } from 'node:crypto';
import type { TokenVerifier } from '@dynapharm/auth';
import type { Database } from '@dynapharm/db';
import type { BusRedis } from '@dynapharm/outbox';
import cors from 'cors';
import express, { type Express, type Request, type RequestHandler } from 'express';
import { ipKeyGenerator, rateLimit } from 'express-rate-limit';
import helmet from 'helmet';
import type { Pool } from 'pg';
import type { Logger } from 'pino';
import { pinoHttp } from 'pino-http';
import { requireAuth } from './http/auth.ts';
import { requireJsonBody } from './http/content-type.ts';
import { errorHandler, HttpError, notFoundRoute } from './http/errors.ts';
import { idempotency } from './http/idempotency.ts';
import type { Metrics } from './metrics.ts';
import { buildOpenApi } from './openapi.ts';
import { changesRouter } from './routes/changes.ts';
import { devAuthRouter } from './routes/dev-auth.ts';
import { healthRouter } from './routes/health.ts';
import { opsRouter, type PrometheusSource } from './routes/ops.ts';
import { resourcesRouter } from './routes/resources.ts';
import { snapshotRouter } from './routes/snapshot.ts';

export interface AppDeps {
  db: Database;
  pool: Pool;
  redis: BusRedis;
  verify: TokenVerifier;
  logger: Logger;
  metrics: Metrics;
  allowedOrigins: string[];
  /** Enables `/api/auth/dev-login` with this signing secret (AUTH_MODE=dev). */
  devLoginSecret?: string;
  /** Writes per minute per caller. @default 600 */
  writeRateLimitPerMinute?: number;
  /** Reads (GET, HEAD) per minute per caller. @default 6000 */
  readRateLimitPerMinute?: number;
  /** Requests to the sign-in routes (`/api/auth/*` but `/me`) per minute per client address. @default 60 */
  authRateLimitPerMinute?: number;
  /** Express `trust proxy`: false, a hop count, or trusted proxy addresses/subnets. */
  trustProxy?: false | number | string[];
  /** `/metrics` wants this bearer token when set. */
  metricsToken?: string;
  isLeader: () => boolean;
  isDraining: () => boolean;
  /** Called after every successful write (the relay is woken by it). */
  onCommitted?: () => void;
  /** Prometheus whose alerts `GET /api/ops/status` shows (`PROMETHEUS_URL`); unset: not configured. */
  prometheus?: PrometheusSource;
  /** The relay's advisory lock id, when not the default. */
  relayLockId?: number;
}

/** Builds the Express app; no listening, no process state (tests mount several). */
export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', deps.trustProxy ?? false);
  app.set('query parser', 'simple');

  const logger = deps.logger.child({}, { redact: { paths: secretPaths, censor: '[redacted]' } });
  app.use(
    pinoHttp({
      logger,
      genReqId: (req, res) => {
        const incoming = req.headers['x-request-id'];
        const id =
          typeof incoming === 'string' && /^[\w.-]{1,100}$/.test(incoming)
            ? incoming
            : randomUUID();
        res.setHeader('x-request-id', id);
        return id;
      },
      autoLogging: { ignore: (req) => req.url === '/health' || req.url === '/metrics' },
    }),
  );
  app.use(timing(deps.metrics));
  app.use(helmet());

  app.use(
    healthRouter({
      pool: deps.pool,
      redis: deps.redis,
      registry: deps.metrics.registry,
      metricsToken: deps.metricsToken,
      isLeader: deps.isLeader,
      isDraining: deps.isDraining,
    }),
  );

  const api = express.Router();
  api.use(
    cors({
      origin: (origin, cb) => cb(null, !origin || deps.allowedOrigins.includes(origin)),
      credentials: true,
      exposedHeaders: [
        'x-request-id',
        'etag',
        'idempotent-replayed',
        'retry-after',
        'ratelimit',
        'ratelimit-policy',
      ],
      maxAge: 600,
    }),
  );
  api.use(requireJsonBody);
  api.use(express.json({ limit: '1mb', strict: true, type: 'application/json' }));
  api.get('/openapi.json', (_req, res) => {
    res.json(openApi);
  });
  // Sign-in routes run before any token exists: counted per address.
  api.use(
    '/auth',
    addressLimit(deps.authRateLimitPerMinute ?? 60, (req) => req.path !== '/me'),
  );
  if (deps.devLoginSecret) api.use('/auth', devAuthRouter(deps.pool, deps.devLoginSecret));
  else
    api.use('/auth/dev-login', (_req, _res, next) =>
      next(new HttpError(404, 'not_found', 'dev login is disabled')),
    );

  api.use(requireAuth(deps.verify));
  // Reads and writes are counted apart: a console paging through a list must
  // not use up the writes of a busy counter, nor the other way round.
  api.use(callerLimit('reads', deps.readRateLimitPerMinute ?? 6000, (req) => isRead(req.method)));
  api.get('/auth/me', (req, res) => {
    res.json({ principal: req.principal });
  });
  api.use(
    callerLimit(
      'writes',
      deps.writeRateLimitPerMinute ?? 600,
      (req) => !isRead(req.method) && req.method !== 'OPTIONS',
    ),
  );
  api.use(idempotency(deps.pool));
  if (deps.onCommitted) api.use(afterWrite(deps.onCommitted));
  api.use('/changes', changesRouter(deps.db));
  api.use('/snapshot', snapshotRouter(deps.db));
  api.use(
    '/ops',
    opsRouter({ pool: deps.pool, prometheus: deps.prometheus, relayLockId: deps.relayLockId }),
  );
  api.use(resourcesRouter(deps.db));

  app.use('/api', api);
  app.use(notFoundRoute);
  app.use(errorHandler(logger));
  return app;
}

const openApi = buildOpenApi();

/** Request and response fields that carry credentials (pino-http logs every header). */
const secretPaths = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["proxy-authorization"]',
  'res.headers["set-cookie"]',
];

const writeMethods = new Set(['POST', 'PATCH', 'PUT', 'DELETE']);

const isRead = (method: string) => method === 'GET' || method === 'HEAD';

/** A per-caller limit over one window, for the requests `counts` selects; 429 beyond it. */
function callerLimit(
  what: 'reads' | 'writes',
  perMinute: number,
  counts: (req: Request) => boolean,
): RequestHandler {
  return rateLimit({
    windowMs: 60_000,
    limit: perMinute,
    skip: (req) => !counts(req),
    keyGenerator: (req) => req.principal?.userId ?? ipKeyGenerator(req.ip ?? ''),
    identifier: what,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    handler: (_req, _res, next) =>
      next(new HttpError(429, 'rate_limited', `too many ${what}; slow down`)),
  });
}

/** A per-address limit for requests made before authentication; 429 beyond it. */
function addressLimit(perMinute: number, counts: (req: Request) => boolean): RequestHandler {
  return rateLimit({
    windowMs: 60_000,
    limit: perMinute,
    skip: (req) => !counts(req),
    keyGenerator: (req) => ipKeyGenerator(req.ip ?? ''),
    identifier: 'sign-in',
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    handler: (_req, _res, next) =>
      next(new HttpError(429, 'rate_limited', 'too many sign-in requests from this address')),
  });
}

/** Runs `fn` once a write has been answered with success (its transaction has committed). */
function afterWrite(fn: () => void): RequestHandler {
  return (req, res, next) => {
    if (writeMethods.has(req.method)) {
      res.once('finish', () => {
        if (res.statusCode < 300) fn();
      });
    }
    next();
  };
}

function timing(metrics: Metrics): RequestHandler {
  return (req, res, next) => {
    const end = metrics.httpDuration.startTimer();
    res.once('finish', () => {
      const route = req.route?.path ? `${req.baseUrl}${req.route.path}` : 'unmatched';
      end({ method: req.method, route, status: String(res.statusCode) });
    });
    next();
  };
}
