import { createTestDatabase, type IsolatedDatabase } from '@dynapharm/testkit';
import pg from 'pg';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveBusConfig } from '../bus/config.ts';
import { createRelay, type Relay, type RelayMetrics } from './relay.ts';

let database: IsolatedDatabase;
let writer: pg.Pool;
let relay: Relay | undefined;

beforeAll(async () => {
  database = await createTestDatabase();
  writer = new pg.Pool({ connectionString: database.url, max: 1 });
});

afterAll(async () => {
  await relay?.close();
  await writer?.end();
  await database?.drop();
});

/** What the relay last reported, as prom-client gauges would hold it. */
function recordingMetrics() {
  const seen = { leader: 0, head: -1, published: -1, backlog: -1, errors: 0, sent: 0 };
  const metrics: RelayMetrics = {
    relayPublished: {
      inc: (n = 1) => {
        seen.sent += n;
      },
    },
    relayLag: { observe: () => {} },
    relayErrors: {
      inc: () => {
        seen.errors += 1;
      },
    },
    relayBacklog: {
      set: (n) => {
        seen.backlog = n;
      },
    },
    relayLeader: {
      set: (n) => {
        seen.leader = n;
      },
    },
    relayHead: {
      set: (n) => {
        seen.head = n;
      },
    },
    relayPublishedOffset: {
      set: (n) => {
        seen.published = n;
      },
    },
  };
  return { seen, metrics };
}

async function eventually(check: () => void | Promise<void>, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

describe('relay metrics while Redis refuses every publish', () => {
  it('show the claimed head ahead of the published offset and the backlog behind them', async () => {
    for (let i = 0; i < 5; i++) {
      await writer.query(
        `INSERT INTO products (id, sku, name, category, unit_price_cents)
         VALUES (gen_random_uuid(), $1, $1, 'test', 100)`,
        [`metrics-${i}`],
      );
    }
    const { seen, metrics } = recordingMetrics();
    relay = createRelay({
      databaseUrl: database.url,
      // Nothing listens on port 1: every publish times out.
      bus: resolveBusConfig({ redisUrl: 'redis://127.0.0.1:1', keyPrefix: 'relay-metrics' }),
      logger: pino({ level: 'silent' }),
      metrics,
      batchSize: 2,
      publishTimeoutMs: 200,
      pollIntervalMs: 50,
    });
    relay.start();

    await eventually(() => {
      expect(seen.leader).toBe(1);
      expect(seen.errors).toBeGreaterThan(0);
      // The first batch got offsets 1-2 and was never confirmed: lag 2.
      expect(seen.head).toBe(2);
      expect(seen.published).toBe(0);
      // The three other changes wait for an offset.
      expect(seen.backlog).toBe(3);
    });
    expect(seen.sent).toBe(0);
    const { rows } = await writer.query<{ head: string }>('SELECT head FROM relay_state');
    expect(Number(rows[0]?.head)).toBe(seen.head);

    await relay.close();
    relay = undefined;
    // A process that no longer leads reports no stream position.
    expect(seen).toMatchObject({ leader: 0, head: 0, published: 0, backlog: 0 });
  });
});
