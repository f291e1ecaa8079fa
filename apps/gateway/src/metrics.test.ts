import { describe, expect, it } from 'vitest';
import { createMetrics } from './metrics.ts';

function metricsWith(deviceLags: (number | null)[], drainSeconds = 0) {
  return createMetrics(
    {
      connections: () => 0,
      rooms: () => 0,
      redisUp: () => true,
      draining: () => drainSeconds > 0,
      drainSeconds: () => drainSeconds,
      deviceLags: () => deviceLags,
      eventsBroadcast: () => 0,
      eventsDelivered: () => 0,
    },
    { defaultMetrics: false },
  );
}

describe('gateway metrics', () => {
  it('counts devices past each lag threshold and reports the worst lag', async () => {
    const text = await metricsWith([null, 0, 12, 45, 130, 700.5]).registry.metrics();
    expect(text).toContain('gateway_devices_acknowledging 6\n');
    expect(text).toContain('gateway_devices_behind{over_seconds="30"} 3\n');
    expect(text).toContain('gateway_devices_behind{over_seconds="120"} 2\n');
    expect(text).toContain('gateway_devices_behind{over_seconds="600"} 1\n');
    expect(text).toContain('gateway_device_lag_seconds_max 700.5\n');
  });

  it('reports no lag without devices, and the drain duration', async () => {
    const text = await metricsWith([], 42).registry.metrics();
    expect(text).toContain('gateway_devices_acknowledging 0\n');
    expect(text).toContain('gateway_devices_behind{over_seconds="600"} 0\n');
    expect(text).toContain('gateway_device_lag_seconds_max 0\n');
    expect(text).toContain('gateway_draining 1\n');
    expect(text).toContain('gateway_drain_duration_seconds 42\n');
  });
});
