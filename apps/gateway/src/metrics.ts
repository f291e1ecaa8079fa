import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';

/** Where the gauges read their current values. */
export interface MetricSources {
  connections(): number;
  rooms(): number;
  redisUp(): boolean;
  draining(): boolean;
  /** Running totals kept as plain numbers on the hot path. */
  eventsBroadcast(): number;
  eventsDelivered(): number;
}

/**
 * The gateway's Prometheus metrics, in a registry of its own so several
 * gateways can live in one process (tests).
 */
export function createMetrics(sources: MetricSources, options: { defaultMetrics: boolean }) {
  const registry = new Registry();
  if (options.defaultMetrics) collectDefaultMetrics({ register: registry });

  new Gauge({
    name: 'gateway_connections',
    help: 'Sockets connected to this replica',
    registers: [registry],
    collect() {
      this.set(sources.connections());
    },
  });
  new Gauge({
    name: 'gateway_rooms',
    help: 'Channel rooms with at least one local socket',
    registers: [registry],
    collect() {
      this.set(sources.rooms());
    },
  });
  new Gauge({
    name: 'gateway_redis_up',
    help: '1 when both adapter connections to Redis are ready',
    registers: [registry],
    collect() {
      this.set(sources.redisUp() ? 1 : 0);
    },
  });
  new Gauge({
    name: 'gateway_draining',
    help: '1 while the replica drains',
    registers: [registry],
    collect() {
      this.set(sources.draining() ? 1 : 0);
    },
  });

  totalCounter(
    registry,
    'gateway_events_broadcast_total',
    'Events this replica wrote to local rooms (from Redis or /publish)',
    sources.eventsBroadcast,
  );
  totalCounter(
    registry,
    'gateway_events_delivered_total',
    'Event copies written to local sockets',
    sources.eventsDelivered,
  );

  return {
    registry,
    subscribeDenied: new Counter({
      name: 'gateway_subscribe_denied_total',
      help: 'Channels refused by subscribe, by reason',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    handshakesRefused: new Counter({
      name: 'gateway_handshakes_refused_total',
      help: 'Connections refused at the handshake, by reason',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    messagesDropped: new Counter({
      name: 'gateway_messages_dropped_total',
      help: 'Client messages dropped, by reason',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    publishes: new Counter({
      name: 'gateway_publish_requests_total',
      help: 'POST /publish requests, by status',
      labelNames: ['status'] as const,
      registers: [registry],
    }),
  };
}

export type GatewayMetrics = ReturnType<typeof createMetrics>;

/** A counter that mirrors a running total at scrape time instead of on every increment. */
function totalCounter(registry: Registry, name: string, help: string, total: () => number) {
  let reported = 0;
  new Counter({
    name,
    help,
    registers: [registry],
    collect() {
      const now = total();
      this.inc(now - reported);
      reported = now;
    },
  });
}
