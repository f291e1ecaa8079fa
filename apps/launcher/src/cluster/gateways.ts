import { join } from 'node:path';
import type { FrontDoor } from '../front-door/front-door.ts';
import type { GatewayTarget } from '../front-door/routes.ts';
import { type ManagedChild, startChild, tailOf } from '../process/child.ts';
import { waitForHttp } from '../process/net.ts';

export interface GatewayFleetOptions {
  entry: string;
  cwd: string;
  logDir: string;
  basePort: number;
  /** Environment shared by every replica (secrets, Redis, origins), read at each start. */
  env: () => NodeJS.ProcessEnv;
  /** Told when a replica exits without being asked to. */
  onUnexpectedExit: (name: string, detail: string) => void;
  /** Told whenever the set of processes changes (for the state file). */
  onChange: () => void;
}

/** Replica `i` (from 0): `gw-<i+1>` on `basePort + i`. */
export const gatewayTarget = (basePort: number, index: number): GatewayTarget => ({
  name: `gw-${index + 1}`,
  host: '127.0.0.1',
  port: basePort + index,
});

/**
 * The gateway replicas of the local cluster. Scaling is serialised; the front
 * door learns about a new replica only once its /health answers, and forgets
 * a leaving one before it is told to drain, so no new session lands on it.
 */
export function createGatewayFleet(options: GatewayFleetOptions) {
  const running: ManagedChild[] = [];
  let frontDoor: FrontDoor | undefined;
  let queue: Promise<unknown> = Promise.resolve();
  let stopping = false;

  const targets = () => running.map((_, i) => gatewayTarget(options.basePort, i));

  const startOne = async (index: number) => {
    const target = gatewayTarget(options.basePort, index);
    const child = startChild({
      name: target.name,
      command: process.execPath,
      args: [options.entry],
      cwd: options.cwd,
      env: {
        ...options.env(),
        PORT: String(target.port),
        HOST: target.host,
        REPLICA_ID: target.name,
        PUBLIC_URL: `http://${target.host}:${target.port}`,
      },
      logFile: join(options.logDir, `${target.name}.log`),
    });
    let expected = false;
    void child.exited.then(({ code, signal }) => {
      if (!expected && !stopping && running.includes(child)) {
        options.onUnexpectedExit(
          target.name,
          `exited (code ${code}, signal ${signal})\n${tailOf(child.logFile, 8)}`,
        );
      }
    });
    try {
      await waitForHttp(`http://${target.host}:${target.port}/health`, {
        abort: child.exited,
        what: target.name,
        timeoutMs: 30_000,
      });
    } catch (err) {
      expected = true;
      await child.stop('SIGTERM', 3_000);
      throw new Error(`${(err as Error).message}\n${tailOf(child.logFile)}`);
    }
    return { child };
  };

  const scaleNow = async (replicas: number) => {
    const before = running.length;
    if (replicas > before) {
      // Start together: each takes a second or two to connect to Redis.
      const started = await Promise.allSettled(
        Array.from({ length: replicas - before }, (_, k) => startOne(before + k)),
      );
      const failed = started.find((s) => s.status === 'rejected');
      if (failed) {
        await Promise.all(
          started.flatMap((s) => (s.status === 'fulfilled' ? [s.value.child.stop()] : [])),
        );
        throw (failed as PromiseRejectedResult).reason;
      }
      for (const s of started) if (s.status === 'fulfilled') running.push(s.value.child);
      options.onChange();
      await frontDoor?.setGateways(targets());
    } else if (replicas < before) {
      const leaving = running.splice(replicas);
      await frontDoor?.setGateways(targets());
      options.onChange();
      // SIGTERM makes a gateway drain: it tells its clients to reconnect (spread
      // over DRAIN_SPREAD_MS) and exits by DRAIN_TIMEOUT_MS.
      await Promise.all(leaving.map((child) => child.stop('SIGTERM', 20_000)));
    }
    return running.length;
  };

  return {
    /** Sets the front door to keep informed. */
    attach(door: FrontDoor) {
      frontDoor = door;
    },
    targets,
    children: () => [...running],
    count: () => running.length,
    /** Starts or drains replicas until `replicas` run; resolves with the new count. */
    scale(replicas: number): Promise<number> {
      if (stopping) return Promise.reject(new Error('the cluster is stopping'));
      const next = queue.then(() => scaleNow(replicas));
      queue = next.catch(() => {});
      return next;
    },
    /** Drains every replica. */
    async stopAll() {
      stopping = true;
      await queue;
      const leaving = running.splice(0);
      await Promise.all(leaving.map((child) => child.stop('SIGTERM', 20_000)));
    },
    killAll() {
      stopping = true;
      for (const child of running) child.kill();
    },
  };
}

export type GatewayFleet = ReturnType<typeof createGatewayFleet>;
