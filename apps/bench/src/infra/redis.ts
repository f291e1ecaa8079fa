import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { Redis } from 'ioredis';
import { freePort, waitUntil } from './ports.ts';

/** The Redis the bench publishes through. */
export interface BenchRedis {
  /** URL with the bench's own DB index, for the replica registry keys. */
  url: string;
  mode: 'env' | 'local-6379' | 'spawned';
  /** Server pid when it runs on this machine (from `INFO server`). */
  pid?: number;
  close(): Promise<void>;
}

/**
 * Keys go to DB index 11; Pub/Sub ignores DB indexes, so every channel is also
 * namespaced by the per-run key prefix the gateways, the relay and the
 * baselines are given. Together they keep a shared Redis undisturbed.
 */
const benchDb = 11;

async function ping(url: string): Promise<number | undefined> {
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 500,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  client.on('error', () => {});
  try {
    await client.connect();
    const info = await client.info('server');
    const pid = /process_id:(\d+)/.exec(info)?.[1];
    return pid ? Number(pid) : 0;
  } catch {
    return undefined;
  } finally {
    client.disconnect();
  }
}

function withDb(url: string) {
  const parsed = new URL(url);
  parsed.pathname = `/${benchDb}`;
  return parsed.toString();
}

/** `REDIS_URL`, else 127.0.0.1:6379 when it answers, else a `redis-server` from PATH. */
export async function startRedis(redisUrl: string | undefined): Promise<BenchRedis> {
  if (redisUrl) {
    const pid = await ping(redisUrl);
    if (pid === undefined) throw new Error(`REDIS_URL ${redisUrl} does not answer`);
    const local = /^(localhost|127\.)/.test(new URL(redisUrl).hostname);
    return {
      url: withDb(redisUrl),
      mode: 'env',
      ...(local && pid ? { pid } : {}),
      close: async () => {},
    };
  }
  const standard = 'redis://127.0.0.1:6379';
  const pid = await ping(standard);
  if (pid !== undefined) {
    return { url: withDb(standard), mode: 'local-6379', pid, close: async () => {} };
  }
  const port = await freePort();
  const child: ChildProcess = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  );
  const failed = once(child, 'error');
  const url = `redis://127.0.0.1:${port}`;
  await Promise.race([
    waitUntil('redis-server', async () => (await ping(url)) !== undefined, 10_000),
    failed.then(([err]) => {
      throw new Error(`cannot start redis-server: ${(err as Error).message}`);
    }),
  ]);
  return {
    url: withDb(url),
    mode: 'spawned',
    ...(child.pid ? { pid: child.pid } : {}),
    async close() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}
