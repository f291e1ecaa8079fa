import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { RedisContainer } from '@testcontainers/redis';
import { getContainerRuntimeClient, type StartedTestContainer } from 'testcontainers';
import { detectStackMode, images } from './mode.ts';
import { freePort, waitForPort } from './process-control.ts';
import type { TestServer } from './server.ts';

export interface StartRedisOptions {
  /** Force a mode instead of detecting one. */
  mode?: 'containers' | 'local';
}

/** Starts a Redis server for tests, in a container or as a local `redis-server`. */
export async function startRedis(options: StartRedisOptions = {}): Promise<TestServer> {
  const mode = await detectStackMode(options.mode);
  return mode === 'containers' ? startRedisContainer() : startLocalRedis();
}

class FixedPortRedisContainer extends RedisContainer {
  constructor(image: string, hostPort: number) {
    super(image);
    // A fixed host port keeps the URL valid across restarts.
    this.exposedPorts = [];
    this.withExposedPorts({ container: 6379, host: hostPort });
  }
}

async function startRedisContainer(): Promise<TestServer> {
  const port = await freePort();
  const started: StartedTestContainer = await new FixedPortRedisContainer(
    images.redis(),
    port,
  ).start();
  return containerControls(started, 'redis', port, `redis://127.0.0.1:${port}`);
}

/** Stop/start/pause controls on a running container, shared by Redis and PostgreSQL. */
export function containerControls(
  started: StartedTestContainer,
  _kind: string,
  port: number,
  url: string,
  afterStart: () => Promise<void> = () => waitForPort(port),
): TestServer {
  const handle = async () => (await getContainerRuntimeClient()).container.getById(started.getId());
  return {
    mode: 'containers',
    host: '127.0.0.1',
    port,
    url,
    async stop() {
      await (await handle()).stop({ t: 0 });
    },
    async start() {
      await (await handle()).start();
      await afterStart();
    },
    async restart() {
      await (await handle()).restart({ t: 0 });
      await afterStart();
    },
    async pause() {
      await (await handle()).pause();
    },
    async unpause() {
      await (await handle()).unpause();
    },
    async close() {
      await started.stop({ timeout: 0, remove: true, removeVolumes: true });
    },
  };
}

async function startLocalRedis(): Promise<TestServer> {
  const port = await freePort();
  let child: ChildProcess | undefined;

  const launch = async () => {
    const proc = spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--protected-mode',
        'no',
      ],
      { stdio: 'ignore' },
    );
    const failed = once(proc, 'error').then(([err]) => {
      throw new Error(
        `cannot start redis-server (${(err as Error).message}); install Debian's redis-server`,
      );
    });
    await Promise.race([waitForPort(port), failed]);
    child = proc;
  };
  const halt = async () => {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null) return;
    proc.kill('SIGCONT');
    proc.kill('SIGKILL');
    await once(proc, 'exit');
  };

  await launch();
  return {
    mode: 'local',
    host: '127.0.0.1',
    port,
    url: `redis://127.0.0.1:${port}`,
    stop: halt,
    start: launch,
    async restart() {
      await halt();
      await launch();
    },
    async pause() {
      child?.kill('SIGSTOP');
    },
    async unpause() {
      child?.kill('SIGCONT');
    },
    close: halt,
  };
}
