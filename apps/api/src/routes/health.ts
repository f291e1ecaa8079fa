import { Router } from 'express';
import type { Redis } from 'ioredis';
import type { Pool } from 'pg';
import type { Registry } from 'prom-client';

const withTimeout = <T>(p: Promise<T>, ms: number) =>
  Promise.race([
    p,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timeout')), ms).unref()),
  ]);

/** Liveness (`/health`), readiness against PostgreSQL and Redis (`/ready`), Prometheus (`/metrics`). */
export function healthRouter(deps: {
  pool: Pool;
  redis: Redis;
  registry: Registry;
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
  router.get('/metrics', async (_req, res) => {
    res.type(deps.registry.contentType).send(await deps.registry.metrics());
  });
  return router;
}
