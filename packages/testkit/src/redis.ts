import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { RedisContainer } from '@testcontainers/redis';
import type { StartedTestContainer } from 'testcontainers';
import { containerControls } from './container-controls.ts';
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
  return containerControls(started, port, `redis://127.0.0.1:${port}`);
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
