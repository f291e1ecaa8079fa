import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { type ManagedChild, startChild, tailOf } from '../process/child.ts';
import { findExecutable, freePort, sleep } from '../process/net.ts';

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

export const NO_REDIS_HELP = `No Redis found: nothing answers on 127.0.0.1:6379 and there is no redis-server on PATH.
Get one of:
  - Debian/Ubuntu: sudo apt-get install redis-server   (then run npm start again)
  - macOS:         brew install redis
  - Docker:        docker run -d -p 6379:6379 redis:7
  - any Redis:     REDIS_URL=redis://host:6379 npm start`;

/** Whether a Redis at `url` answers PING within `timeoutMs`. */
export async function redisAnswers(url: string, timeoutMs = 1_500): Promise<boolean> {
  const redis = new Redis(url, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  redis.on('error', () => {});
  try {
    await redis.connect();
    return (await redis.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    redis.disconnect();
  }
}

export interface RedisHandle {
  url: string;
  /** Where it came from, for the progress line. */
  source: 'REDIS_URL' | 'local' | 'redis-server';
  /** Set when the launcher started its own redis-server. */
  child?: ManagedChild;
}

/**
 * `REDIS_URL` when set (it must answer), else the Redis on 127.0.0.1:6379 when
 * it answers PING, else a throwaway `redis-server` from PATH on a free port.
 * Throws {@link NO_REDIS_HELP} when none of these works.
 */
export async function resolveRedis(options: {
  redisUrl: string | undefined;
  path: string;
  dataDir: string;
  logDir: string;
  env: NodeJS.ProcessEnv;
}): Promise<RedisHandle> {
  if (options.redisUrl) {
    if (!(await redisAnswers(options.redisUrl, 5_000))) {
      throw new Error(`REDIS_URL is set but ${redactUrl(options.redisUrl)} does not answer PING`);
    }
    return { url: options.redisUrl, source: 'REDIS_URL' };
  }
  if (await redisAnswers(DEFAULT_REDIS_URL)) return { url: DEFAULT_REDIS_URL, source: 'local' };
  const binary = findExecutable('redis-server', options.path);
  if (!binary) throw new Error(NO_REDIS_HELP);
  const port = await freePort();
  const dir = join(options.dataDir, 'redis');
  mkdirSync(dir, { recursive: true });
  const child = startChild({
    name: 'redis',
    command: binary,
    // A cache for fan-out only: nothing worth writing to disk.
    args: ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    env: options.env,
    cwd: dir,
    logFile: join(options.logDir, 'redis.log'),
  });
  const url = `redis://127.0.0.1:${port}`;
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline && child.isRunning()) {
    if (await redisAnswers(url, 500)) return { url, source: 'redis-server', child };
    await sleep(100);
  }
  await child.stop('SIGTERM', 2_000);
  throw new Error(`redis-server (${binary}) did not start:\n${tailOf(child.logFile)}`);
}

/** A URL without its password, for messages. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparsable URL)';
  }
}
