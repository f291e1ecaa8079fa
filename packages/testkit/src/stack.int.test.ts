import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, redisNamespace, stack } from './context.ts';
import { startRedis } from './redis.ts';
import type { TestServer } from './server.ts';

describe('shared test stack', () => {
  it('gives each test its own PostgreSQL database that answers queries', async () => {
    const a = await createTestDatabase();
    const b = await createTestDatabase();
    try {
      const client = new pg.Client({ connectionString: a.url });
      await client.connect();
      await client.query('CREATE TABLE probe (n int)');
      await client.query('INSERT INTO probe VALUES (41), (1)');
      const { rows } = await client.query<{ total: number }>(
        'SELECT sum(n)::int AS total FROM probe',
      );
      await client.end();
      expect(rows[0]?.total).toBe(42);

      const other = new pg.Client({ connectionString: b.url });
      await other.connect();
      const { rows: tables } = await other.query(
        "SELECT 1 FROM information_schema.tables WHERE table_name = 'probe'",
      );
      await other.end();
      expect(tables).toHaveLength(0);
    } finally {
      await a.drop();
      await b.drop();
    }
  });

  it('answers PING and delivers a pub/sub message on Redis', async () => {
    const ns = redisNamespace();
    const pub = new Redis(stack().redisUrl);
    const sub = new Redis(stack().redisUrl);
    try {
      expect(await pub.ping()).toBe('PONG');
      await sub.subscribe(`${ns}news`);
      const received = new Promise<string>((resolve) =>
        sub.on('message', (_channel, message) => resolve(message)),
      );
      await pub.publish(`${ns}news`, 'hello branches');
      expect(await received).toBe('hello branches');
    } finally {
      pub.disconnect();
      sub.disconnect();
    }
  });
});

describe('server controls', () => {
  let redis: TestServer;
  beforeAll(async () => {
    redis = await startRedis({ mode: stack().mode });
  });
  afterAll(async () => {
    await redis?.close();
  });

  it('restarts Redis on the same address and a client reconnects', async () => {
    const client = new Redis(redis.url, { retryStrategy: () => 100, maxRetriesPerRequest: null });
    client.on('error', () => {}); // the restart below drops the connection on purpose
    try {
      await client.set('before', '1');
      expect(await client.get('before')).toBe('1');
      const runId = (await client.info('server')).match(/run_id:(\w+)/)?.[1];

      const ended = new Promise<void>((resolve) =>
        client.once('end', resolve).once('close', resolve),
      );
      await redis.restart();
      await ended;

      const newRunId = (await client.info('server')).match(/run_id:(\w+)/)?.[1];
      expect(newRunId).toBeDefined();
      expect(newRunId).not.toBe(runId);
      // Nothing is persisted, so the restarted server is empty.
      expect(await client.get('before')).toBeNull();
      expect(await client.ping()).toBe('PONG');
    } finally {
      client.disconnect();
    }
  });

  it('pauses Redis so commands stall until it is resumed', async () => {
    const client = new Redis(redis.url, { maxRetriesPerRequest: null });
    try {
      expect(await client.ping()).toBe('PONG');
      await redis.pause();
      let answered = false;
      const pending = client.ping().then((reply) => {
        answered = true;
        return reply;
      });
      await new Promise((r) => setTimeout(r, 500));
      expect(answered).toBe(false);
      await redis.unpause();
      expect(await pending).toBe('PONG');
    } finally {
      client.disconnect();
    }
  });
});
