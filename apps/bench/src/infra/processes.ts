import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { waitUntil } from './ports.ts';

/** A Node process the bench started and will stop. */
export interface AppProcess {
  name: string;
  pid: number;
  /** `http://127.0.0.1:<port>` */
  url: string;
  port: number;
  stop(): Promise<void>;
}

export interface SpawnAppOptions {
  name: string;
  script: string;
  port: number;
  env: Record<string, string>;
  /** Path polled until it answers 200. */
  readyPath: string;
  /** Extra node flags, e.g. `--cpu-prof`. */
  nodeArgs?: string[];
  /** stdout/stderr go to `<logDir>/<name>.log`. */
  logDir: string;
}

/**
 * Starts `node <script>` with only the given environment (plus PATH/HOME), logs
 * to a file, and waits for `readyPath`. `stop()` sends SIGTERM (so `--cpu-prof`
 * gets written), then SIGKILL after 20 s.
 */
export async function spawnApp(options: SpawnAppOptions): Promise<AppProcess> {
  await mkdir(options.logDir, { recursive: true });
  const log = createWriteStream(join(options.logDir, `${options.name}.log`));
  const child: ChildProcess = spawn(
    process.execPath,
    [...(options.nodeArgs ?? []), options.script],
    {
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: process.env.HOME ?? '/tmp',
        NODE_ENV: 'production',
        ...options.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  const url = `http://127.0.0.1:${options.port}`;
  const exited = once(child, 'exit').then(([code]) => {
    throw new Error(
      `${options.name} exited with ${code} (see ${options.logDir}/${options.name}.log)`,
    );
  });
  exited.catch(() => {});
  await Promise.race([
    waitUntil(
      `${options.name} at ${url}${options.readyPath}`,
      async () => (await fetch(`${url}${options.readyPath}`)).ok,
      60_000,
    ),
    exited,
  ]);
  return {
    name: options.name,
    pid: child.pid ?? 0,
    url,
    port: options.port,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const done = once(child, 'exit');
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await done;
      clearTimeout(timer);
      log.end();
    },
  };
}
