import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type ManagedChild, startChild, tailOf } from '../process/child.ts';
import { isPortOpen, sleep } from '../process/net.ts';
import type { FrontDoor } from './front-door.ts';
import { type HaproxyConfigOptions, haproxyConfig } from './haproxy-config.ts';
import type { GatewayTarget } from './routes.ts';

const execFileAsync = promisify(execFile);

/**
 * Runs HAProxy in master-worker mode with a config generated from the launcher's
 * settings. Scaling rewrites the config and sends SIGUSR2 to the master: it starts
 * a new worker with the new servers while the old one finishes its connections.
 */
export async function startHaproxy(options: {
  binary: string;
  dataDir: string;
  logDir: string;
  env: NodeJS.ProcessEnv;
  config: HaproxyConfigOptions;
}): Promise<FrontDoor> {
  const dir = join(options.dataDir, 'haproxy');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'haproxy.cfg');
  let current = options.config;

  const writeChecked = async (config: HaproxyConfigOptions) => {
    const next = `${file}.next`;
    writeFileSync(next, haproxyConfig(config));
    try {
      await execFileAsync(options.binary, ['-c', '-q', '-f', next]);
    } catch (err) {
      const stderr = (err as { stderr?: string }).stderr ?? String(err);
      throw new Error(`HAProxy rejected the generated config ${next}:\n${stderr.trim()}`);
    }
    writeFileSync(file, haproxyConfig(config));
  };

  await writeChecked(current);
  const child: ManagedChild = startChild({
    name: 'haproxy',
    command: options.binary,
    // -W: master-worker (reload by SIGUSR2); -db: stay in the foreground.
    args: ['-W', '-db', '-f', file],
    env: options.env,
    cwd: dir,
    logFile: join(options.logDir, 'haproxy.log'),
  });
  const deadline = Date.now() + 10_000;
  while (!(await isPortOpen(current.frontDoorPort))) {
    if (!child.isRunning() || Date.now() > deadline) {
      await child.stop('SIGTERM', 2_000);
      throw new Error(`HAProxy did not start:\n${tailOf(child.logFile)}`);
    }
    await sleep(50);
  }

  return {
    kind: 'haproxy',
    children: () => [child],
    async setGateways(gateways: readonly GatewayTarget[]) {
      current = { ...current, gateways };
      await writeChecked(current);
      process.kill(child.pid, 'SIGUSR2');
    },
    async close() {
      // SIGTERM: hard stop; the gateways are about to go anyway.
      await child.stop('SIGTERM', 5_000);
    },
  };
}
