import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** Where the gauges read their current values. */
export interface MetricSources {
  connections(): number;
  rooms(): number;
  redisUp(): boolean;
  draining(): boolean;
  /** Seconds since the drain began; 0 when not draining. */
  drainSeconds(): number;
  /** Seconds behind the head of each device acknowledging here (null: unknown). */
  deviceLags(): (number | null)[];
  /** Running totals kept as plain numbers on the hot path. */
  eventsBroadcast(): number;
  eventsDelivered(): number;
}

/**
 * The gateway's Prometheus metrics, in a registry of its own so several
 * gateways can live in one process (tests).
 */
/** Lag thresholds (seconds) of `gateway_devices_behind{over_seconds}`. */
export const deviceLagThresholds = [30, 120, 600] as const;

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

  new Gauge({
    name: 'gateway_drain_duration_seconds',
    help: 'Seconds the current drain has lasted (0 when not draining)',
    registers: [registry],
    collect() {
      this.set(sources.drainSeconds());
    },
  });
  new Gauge({
    name: 'gateway_devices_acknowledging',
    help: 'Devices (device and local store) acknowledging their stream offset on this replica',
    registers: [registry],
    collect() {
      this.set(sources.deviceLags().length);
    },
  });
  new Gauge({
    name: 'gateway_devices_behind',
    help: 'Devices on this replica that have not been at the stream head for more than over_seconds',
    labelNames: ['over_seconds'] as const,
    registers: [registry],
    collect() {
      const lags = sources.deviceLags();
      for (const over of deviceLagThresholds) {
        const count = lags.filter((lag) => lag !== null && lag > over).length;
        this.set({ over_seconds: String(over) }, count);
      }
    },
  });
  new Gauge({
    name: 'gateway_device_lag_seconds_max',
    help: 'Longest time a device on this replica has not been at the stream head',
    registers: [registry],
    collect() {
      let max = 0;
      for (const lag of sources.deviceLags()) if (lag !== null && lag > max) max = lag;
      this.set(max);
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
    commitToClient: new Histogram({
      name: 'gateway_commit_to_client_seconds',
      help: 'Time from a change being logged (its at) to this replica writing it to its local sockets',
      buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
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
