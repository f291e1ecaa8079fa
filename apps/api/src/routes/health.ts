import { createHash, timingSafeEqual } from 'node:crypto';
import type { BusRedis } from '@dynapharm/outbox';
import { Router } from 'express';
import type { Pool } from 'pg';
import type { Registry } from 'prom-client';
import { HttpError } from '../http/errors.ts';

/**
 * Whether an `Authorization` header carries `expected` as its bearer token.
 * Both sides are hashed first, so the comparison takes the same time whatever
 * the length.
 */
function carriesBearer(header: string | undefined, expected: string): boolean {
  const given = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '')?.[1];
  if (given === undefined) return false;
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

const withTimeout = <T>(p: Promise<T>, ms: number) =>
  Promise.race([
    p,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timeout')), ms).unref()),
  ]);

/**
 * Liveness (`/health`), readiness against PostgreSQL and Redis (`/ready`),
 * Prometheus (`/metrics`, behind `metricsToken` when set).
 */
export function healthRouter(deps: {
  pool: Pool;
  redis: BusRedis;
  registry: Registry;
  metricsToken?: string;
  isLeader: () => boolean;
  isDraining: () => boolean;
}) {
  const router = Router();
  router.get('/health', (_req, res) => {
    res.json({ status: 'ok', service: 'api', uptimeSeconds: Math.round(process.uptime()) });
  });
  router.get('/ready', async (_req, res) => {
    const [database, redis] = await Promise.all([
      withTimeout(deps.pool.query('SELECT 1'), 2000).then(
        () => 'ok',
        () => 'unavailable',
      ),
      withTimeout(deps.redis.ping(), 2000).then(
        () => 'ok',
        () => 'unavailable',
      ),
    ]);
    const draining = deps.isDraining();
    const ready = database === 'ok' && redis === 'ok' && !draining;
    res.status(ready ? 200 : 503).json({
      status: ready ? 'ready' : 'not_ready',
      database,
      redis,
      draining,
      relayLeader: deps.isLeader(),
    });
  });
  router.get('/metrics', async (req, res) => {
    if (
      deps.metricsToken !== undefined &&
      !carriesBearer(req.headers.authorization, deps.metricsToken)
    ) {
      throw new HttpError(401, 'unauthorized', 'send the metrics token as Authorization: Bearer');
    }
    res.type(deps.registry.contentType).send(await deps.registry.metrics());
  });
  return router;
}
