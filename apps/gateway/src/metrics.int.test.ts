import { type BusPublisher, createBusPublisher } from '@dynapharm/outbox';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  adminToken,
  type Cluster,
  changeEvent,
  closeClients,
  connect,
  eventually,
  postPublish,
  publishable,
  record,
  startCluster,
  subscribe,
  tokenFor,
} from './testing/cluster.ts';

const metricsToken = 'integration-metrics-token-0123456789';

let cluster: Cluster;
let relay: BusPublisher;

async function scrape(url: string): Promise<string> {
  const res = await fetch(`${url}/metrics`, {
    headers: { authorization: `Bearer ${metricsToken}` },
  });
  expect(res.status).toBe(200);
  return res.text();
}

/** The value of one sample (`name{labels} value`) in a scrape, or undefined. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

beforeAll(async () => {
  cluster = await startCluster(2, {
    metricsToken,
    drainSpreadMs: 2_000,
    drainTimeoutMs: 4_000,
  });
  relay = createBusPublisher(cluster.bus);
});
afterEach(() => {
  closeClients();
  vi.restoreAllMocks();
});
afterAll(async () => {
  await relay?.close();
  await cluster?.close();
});

describe('gateway metrics for the alerts', () => {
  it('times relayed changes from their log time to the local sockets, not published ones', async () => {
    const [url] = cluster.urls as [string];
    const socket = await connect(url, { token: await adminToken() });
    await subscribe(socket, ['clients']);
    const seen = record(socket);
    const before = await scrape(url);
    expect(sample(before, 'gateway_commit_to_client_seconds_count')).toBe(0);

    // Logged 3 s ago: lands above the 2.5 s bucket, within 5 s.
    await relay.publish([changeEvent({ at: new Date(Date.now() - 3_000).toISOString() })]);
    const published = await postPublish(url, { event: publishable() });
    expect(published.status).toBe(202);
    await eventually(() => expect(seen).toHaveLength(2));

    const after = await scrape(url);
    expect(sample(after, 'gateway_commit_to_client_seconds_count')).toBe(1);
    expect(sample(after, 'gateway_commit_to_client_seconds_bucket{le="2.5"}')).toBe(0);
    expect(sample(after, 'gateway_commit_to_client_seconds_bucket{le="5"}')).toBe(1);
    // The other replica has no subscriber: it wrote nothing, so it timed nothing.
    const other = await scrape(cluster.urls[1] as string);
    expect(sample(other, 'gateway_commit_to_client_seconds_count')).toBe(0);
  });

  it('counts the devices acknowledging here and how long they have been behind', async () => {
    const [url] = cluster.urls as [string];
    const epoch = crypto.randomUUID();
    const token = await tokenFor({ sub: 'manager-m', role: 'manager', branches: [] });
    await eventually(async () => {
      relay.beat({ epoch, head: 50, at: Date.now() });
      const res = await fetch(`${url}/devices`, {
        headers: { authorization: `Bearer ${await adminToken()}` },
      });
      expect(((await res.json()) as { head: number }).head).toBe(50);
    });
    const behind = await connect(url, { token });
    behind.emit('sync:ack', { deviceId: 'metrics-behind', replica: 'console', offset: 20, epoch });
    const current = await connect(url, { token });
    current.emit('sync:ack', {
      deviceId: 'metrics-current',
      replica: 'console',
      offset: 50,
      epoch,
    });

    const text = await eventually(async () => {
      const scraped = await scrape(url);
      expect(sample(scraped, 'gateway_devices_acknowledging')).toBe(2);
      expect(sample(scraped, 'gateway_device_lag_seconds_max')).toBeGreaterThanOrEqual(0.5);
      return scraped;
    });
    expect(sample(text, 'gateway_devices_behind{over_seconds="30"}')).toBe(0);
    expect(sample(text, 'gateway_devices_behind{over_seconds="600"}')).toBe(0);

    behind.close();
    current.close();
    await eventually(async () =>
      expect(sample(await scrape(url), 'gateway_devices_acknowledging')).toBe(0),
    );
  });

  it('reports draining and for how long while a drain is under way', async () => {
    const url = cluster.urls[1] as string;
    const idle = await scrape(url);
    expect(sample(idle, 'gateway_draining')).toBe(0);
    expect(sample(idle, 'gateway_drain_duration_seconds')).toBe(0);

    // The socket is told to move at the end of the spread, so the drain lasts.
    vi.spyOn(Math, 'random').mockReturnValue(0.99);
    await connect(url, { token: await adminToken() });
    const done = cluster.gateways[1]?.drain();
    await new Promise((resolve) => setTimeout(resolve, 700));
    const draining = await scrape(url);
    expect(sample(draining, 'gateway_draining')).toBe(1);
    const seconds = sample(draining, 'gateway_drain_duration_seconds') ?? 0;
    expect(seconds).toBeGreaterThanOrEqual(0.6);
    expect(seconds).toBeLessThan(2);
    await done;
  });
});
