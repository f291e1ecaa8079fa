import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** Prometheus metrics of one API process (a registry per instance, so tests can run several). */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    httpDuration: new Histogram({
      name: 'dynapharm_api_http_request_duration_seconds',
      help: 'HTTP request duration by method, route and status',
      labelNames: ['method', 'route', 'status'] as const,
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    relayPublished: new Counter({
      name: 'dynapharm_relay_published_total',
      help: 'Changes the relay published to Redis',
      registers: [registry],
    }),
    relayLag: new Histogram({
      name: 'dynapharm_relay_commit_to_publish_seconds',
      help: 'Time from a change being logged to its publication',
      buckets: [0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5],
      registers: [registry],
    }),
    relayBacklog: new Gauge({
      name: 'dynapharm_relay_backlog',
      help: 'Logged changes still waiting for an offset (sampled by the leader)',
      registers: [registry],
    }),
    relayLeader: new Gauge({
      name: 'dynapharm_relay_leader',
      help: '1 when this process holds the relay leadership',
      registers: [registry],
    }),
    relayHead: new Gauge({
      name: 'dynapharm_relay_head_offset',
      help: 'Last offset the relay leader claimed (the stream head); 0 on a standby',
      registers: [registry],
    }),
    relayPublishedOffset: new Gauge({
      name: 'dynapharm_relay_published_offset',
      help: 'Last offset Redis confirmed to the relay leader; head minus this is the publish lag; 0 on a standby',
      registers: [registry],
    }),
    relayErrors: new Counter({
      name: 'dynapharm_relay_errors_total',
      help: 'Relay cycles that failed (Redis or PostgreSQL unavailable)',
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
