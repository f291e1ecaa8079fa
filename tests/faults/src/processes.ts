import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../../', import.meta.url));

/** A built service (`apps/<name>/dist/main.js`) running as a child process. */
export interface Service {
  name: string;
  port: number;
  url: string;
  process: ChildProcess;
  /** SIGKILL: no drain, no cleanup, as in a crash. */
  kill(): Promise<void>;
  /** Graceful stop. */
  stop(): Promise<void>;
}

export async function startService(
  app: 'api' | 'gateway',
  name: string,
  port: number,
  env: Record<string, string>,
): Promise<Service> {
  const child = spawn(process.execPath, [`${root}apps/${app}/dist/main.js`], {
    env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'error' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  const exited = once(child, 'exit');
  const halt = async (signal: NodeJS.Signals) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill(signal);
    await exited;
  };
  await waitForHealth(url, child);
  return {
    name,
    port,
    url,
    process: child,
    kill: () => halt('SIGKILL'),
    stop: () => halt('SIGTERM'),
  };
}

async function waitForHealth(url: string, child: ChildProcess, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${url} exited with ${child.exitCode}`);
    try {
      const res = await fetch(`${url}/health`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not become healthy`);
}
