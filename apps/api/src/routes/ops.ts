import { DEFAULT_RELAY_LOCK_ID, readRelayStatus } from '@dynapharm/outbox';
import { hasCapability, type OpsAlert, type OpsAlerts, type OpsStatus } from '@dynapharm/types';
import { Router } from 'express';
import type { Pool } from 'pg';
import { z } from 'zod';
import { principalOf } from '../http/auth.ts';
import { HttpError } from '../http/errors.ts';

/** Where the API asks Prometheus for its alerts (`PROMETHEUS_URL`). */
export interface PrometheusSource {
  /** Base URL of the Prometheus server, e.g. `http://prometheus:9090`. */
  url: string;
  /** A request that takes longer is reported as unavailable. @default 2000 */
  timeoutMs?: number;
}

// Prometheus' `GET /api/v1/alerts` (HTTP API v1): only the fields used here.
const alertsAnswer = z.object({
  status: z.literal('success'),
  data: z.object({
    alerts: z.array(
      z.object({
        labels: z.record(z.string(), z.string()),
        annotations: z.record(z.string(), z.string()).optional(),
        state: z.string(),
        activeAt: z.string().optional(),
      }),
    ),
  }),
});

/**
 * The firing and pending alerts of a Prometheus server. Any failure (refused,
 * timed out, not Prometheus, an error status) comes back as `unavailable` with
 * a reason: the page that shows it must not break with Prometheus.
 */
export async function fetchAlerts(source: PrometheusSource | undefined): Promise<OpsAlerts> {
  if (!source) return { status: 'not_configured', reason: null, alerts: [] };
  const unavailable = (reason: string): OpsAlerts => ({
    status: 'unavailable',
    reason,
    alerts: [],
  });
  const timeoutMs = source.timeoutMs ?? 2000;
  const url = new URL('api/v1/alerts', source.url.endsWith('/') ? source.url : `${source.url}/`);
  let res: Response;
  try {
    res = await fetch(url, {
      headers: { accept: 'application/json' },
      redirect: 'error',
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    const timedOut = err instanceof Error && err.name === 'TimeoutError';
    return unavailable(
      timedOut ? `Prometheus did not answer within ${timeoutMs} ms` : 'Prometheus is unreachable',
    );
  }
  if (!res.ok) {
    await res.body?.cancel();
    return unavailable(`Prometheus answered ${res.status}`);
  }
  let body: unknown;
  try {
    body = await res.json();
  } catch {
    return unavailable('Prometheus answered something that is not JSON');
  }
  const parsed = alertsAnswer.safeParse(body);
  if (!parsed.success)
    return unavailable('Prometheus answered something that is not an alert list');
  const alerts: OpsAlert[] = [];
  for (const a of parsed.data.data.alerts) {
    if (a.state !== 'firing' && a.state !== 'pending') continue;
    alerts.push({
      name: a.labels.alertname ?? '(unnamed)',
      state: a.state,
      severity: a.labels.severity ?? null,
      summary: a.annotations?.summary ?? a.annotations?.description ?? null,
      activeAt: a.activeAt ?? null,
      labels: a.labels,
    });
  }
  const rank = (a: OpsAlert) => (a.state === 'firing' ? 0 : 1);
  alerts.sort((a, b) => rank(a) - rank(b) || a.name.localeCompare(b.name));
  return { status: 'ok', reason: null, alerts };
}

/**
 * `GET /api/ops/status` (capability `ops:read`, admins): the relay's position
 * and lag from PostgreSQL, and Prometheus' alerts when `PROMETHEUS_URL` is
 * set. Prometheus' metrics are not reachable from browsers; this is how the
 * console's Operator page shows them.
 */
export function opsRouter(deps: {
  pool: Pool;
  prometheus?: PrometheusSource;
  relayLockId?: number;
}) {
  const router = Router();
  router.get('/status', async (req, res) => {
    const { role } = principalOf(req);
    if (!hasCapability(role, 'ops:read')) {
      throw new HttpError(403, 'forbidden', `role ${role} may not read the operations status`);
    }
    const unknown = Object.keys(req.query);
    if (unknown.length > 0) {
      throw new HttpError(
        400,
        'validation_failed',
        `unknown query parameter: ${unknown.join(', ')}`,
        { issues: unknown.map((path) => ({ path, message: 'this route takes no parameters' })) },
      );
    }
    const [relay, alerts] = await Promise.all([
      readRelayStatus(deps.pool, deps.relayLockId ?? DEFAULT_RELAY_LOCK_ID),
      fetchAlerts(deps.prometheus),
    ]);
    const body: OpsStatus = { relay, alerts, checkedAt: new Date().toISOString() };
    res.set('cache-control', 'no-store').json(body);
  });
  return router;
}
