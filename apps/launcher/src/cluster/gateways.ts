import { join } from 'node:path';
import type { FrontDoor } from '../front-door/front-door.ts';
import type { GatewayTarget } from '../front-door/routes.ts';
import { type ManagedChild, startChild, tailOf } from '../process/child.ts';
import { canListen, sleep, waitForHttp } from '../process/net.ts';

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
  /** How many replica ports there are from `basePort` (a restart needs one of them free). */
  maxReplicas: number;
}

/** One replica replaced by `restart`, with how long it took (start, register, drain). */
export interface Replacement {
  from: string;
  to: string;
  startedMs: number;
  drainedMs: number;
}

interface Replica {
  child: ManagedChild;
  target: GatewayTarget;
}

/** Replica `i` (from 0): `gw-<i+1>` on `basePort + i`. */
export const gatewayTarget = (basePort: number, index: number): GatewayTarget => ({
  name: `gw-${index + 1}`,
  host: '127.0.0.1',
  port: basePort + index,
});

/** Port `basePort + i` belongs to replica `gw-<i+1>`, whichever slot it fills. */
const targetAt = (basePort: number, port: number) => gatewayTarget(basePort, port - basePort);

/**
 * The gateway replicas of the local cluster. Scaling and restarts are
 * serialised; the front door learns about a new replica only once its /health
 * answers, and forgets a leaving one before it is told to drain, so no new
 * session lands on it. A replica's name follows its port (`gw-<port - base + 1>`),
 * so a replacement started next to a running replica gets a name of its own.
 */
export function createGatewayFleet(options: GatewayFleetOptions) {
  const running: Replica[] = [];
  let frontDoor: FrontDoor | undefined;
  let queue: Promise<unknown> = Promise.resolve();
  let stopping = false;

  const targets = () => running.map((r) => r.target);

  /** The lowest replica ports no running replica holds and nothing else listens on. */
  const freeTargets = async (count: number) => {
    const taken = new Set(running.map((r) => r.target.port));
    const found: GatewayTarget[] = [];
    for (let i = 0; i < options.maxReplicas && found.length < count; i++) {
      const port = options.basePort + i;
      if (!taken.has(port) && (await canListen(port))) found.push(targetAt(options.basePort, port));
    }
    if (found.length < count) {
      throw new Error(
        `no free gateway port in ${options.basePort}-${options.basePort + options.maxReplicas - 1}`,
      );
    }
    return found;
  };

  const startOne = async (target: GatewayTarget): Promise<Replica> => {
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
      if (!expected && !stopping && running.some((r) => r.child === child)) {
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
    return { child, target };
  };

  /**
   * Waits until the replica is in the cluster's registry in Redis (its own
   * `/stats` lists it, not draining): from then on the others' Redis adapter
   * reaches it and operators see it.
   */
  const waitRegistered = async (replica: Replica, timeoutMs = 15_000) => {
    const { host, port, name } = replica.target;
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const stats = await fetch(`http://${host}:${port}/stats`, {
        signal: AbortSignal.timeout(2_000),
      })
        .then((res) =>
          res.ok
            ? (res.json() as Promise<{ replicas?: { replicaId: string; draining: boolean }[] }>)
            : undefined,
        )
        .catch(() => undefined);
      if (stats?.replicas?.some((r) => r.replicaId === name && !r.draining)) return;
      await sleep(200);
    }
    throw new Error(`${name} did not appear in the replica registry within ${timeoutMs} ms`);
  };

  const scaleNow = async (replicas: number) => {
    const before = running.length;
    if (replicas > before) {
      // Start together: each takes a second or two to connect to Redis.
      const started = await Promise.allSettled(
        (await freeTargets(replicas - before)).map((target) => startOne(target)),
      );
      const failed = started.find((s) => s.status === 'rejected');
      if (failed) {
        await Promise.all(
          started.flatMap((s) => (s.status === 'fulfilled' ? [s.value.child.stop()] : [])),
        );
        throw (failed as PromiseRejectedResult).reason;
      }
      for (const s of started) if (s.status === 'fulfilled') running.push(s.value);
      options.onChange();
      await frontDoor?.setGateways(targets());
    } else if (replicas < before) {
      const leaving = running.splice(replicas);
      await frontDoor?.setGateways(targets());
      options.onChange();
      // SIGTERM makes a gateway drain: it tells its clients to reconnect (spread
      // over DRAIN_SPREAD_MS) and exits by DRAIN_TIMEOUT_MS.
      await Promise.all(leaving.map((r) => r.child.stop('SIGTERM', 20_000)));
    }
    return running.length;
  };

  /**
   * Replaces every replica, one at a time: start a replacement on a free port,
   * wait for its /health and its entry in the registry, swap it into the front
   * door in place of the old one, then SIGTERM the old one and wait for its
   * drain (its clients reconnect, spread over DRAIN_SPREAD_MS) before the next.
   */
  const restartNow = async (onReplaced: (r: Replacement) => void) => {
    const done: Replacement[] = [];
    for (const old of [...running]) {
      const at = Date.now();
      const [target] = await freeTargets(1);
      const fresh = await startOne(target as GatewayTarget);
      try {
        await waitRegistered(fresh);
      } catch (err) {
        await fresh.child.stop('SIGTERM', 5_000);
        throw err;
      }
      const started = Date.now();
      const index = running.indexOf(old);
      if (index >= 0) running[index] = fresh;
      else running.push(fresh);
      options.onChange();
      await frontDoor?.setGateways(targets());
      await old.child.stop('SIGTERM', 20_000);
      const replacement = {
        from: old.target.name,
        to: fresh.target.name,
        startedMs: started - at,
        drainedMs: Date.now() - started,
      };
      done.push(replacement);
      onReplaced(replacement);
    }
    return done;
  };

  return {
    /** Sets the front door to keep informed. */
    attach(door: FrontDoor) {
      frontDoor = door;
    },
    targets,
    children: () => running.map((r) => r.child),
    count: () => running.length,
    /** Starts or drains replicas until `replicas` run; resolves with the new count. */
    scale(replicas: number): Promise<number> {
      if (stopping) return Promise.reject(new Error('the cluster is stopping'));
      const next = queue.then(() => scaleNow(replicas));
      queue = next.catch(() => {});
      return next;
    },
    /** Replaces every replica one by one (see `restartNow`); resolves with what it did. */
    restart(onReplaced: (r: Replacement) => void = () => {}): Promise<Replacement[]> {
      if (stopping) return Promise.reject(new Error('the cluster is stopping'));
      const next = queue.then(() => restartNow(onReplaced));
      queue = next.catch(() => {});
      return next;
    },
    /** Drains every replica. */
    async stopAll() {
      stopping = true;
      await queue;
      const leaving = running.splice(0);
      await Promise.all(leaving.map((r) => r.child.stop('SIGTERM', 20_000)));
    },
    killAll() {
      stopping = true;
      for (const r of running) r.child.kill();
    },
  };
}

export type GatewayFleet = ReturnType<typeof createGatewayFleet>;
