import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { eventually, freePortRange, waitForPort } from './process-control.ts';

const run = promisify(execFile);

export interface StartRedisClusterOptions {
  /** Masters; each gets `replicasPerMaster` replicas. @default 3 */
  masters?: number;
  /** @default 1 */
  replicasPerMaster?: number;
  /**
   * `cluster-node-timeout`: how long a master may not answer before it is
   * failed and a replica takes over. @default 1000
   */
  nodeTimeoutMs?: number;
}

/** One node of the cluster as `CLUSTER NODES` describes it. */
export interface RedisClusterNode {
  id: string;
  port: number;
  role: 'master' | 'replica';
  /** Flagged `fail` or `fail?` by the node asked. */
  failing: boolean;
  /** The master's id, for a replica. */
  masterId?: string;
  /** Slot ranges served, for a master: `[first, last]`. */
  slots: Array<[number, number]>;
}

/**
 * A Redis Cluster of local `redis-server` processes (Redis ≥ 7, cluster mode)
 * in a temporary directory, for tests. Works the same in both test-stack
 * modes: the processes run on this machine either way.
 */
export interface TestRedisCluster {
  readonly host: string;
  /** Client ports of every node, masters first as created. */
  readonly ports: readonly number[];
  /** `host:port,…` of every node: the value of `REDIS_CLUSTER_NODES`. */
  readonly nodesEnv: string;
  /** The cluster's view of its nodes, as seen by a live node. */
  nodes(): Promise<RedisClusterNode[]>;
  /** The slot of a key or sharded channel (`CLUSTER KEYSLOT`). */
  slotOf(key: string): Promise<number>;
  /** The port of the master currently serving `slot` (a live, non-failed master). */
  masterOf(slot: number): Promise<number>;
  /** `kill -9` of one node; its data and cluster config stay for `start`. */
  kill(port: number): Promise<void>;
  /** Starts a killed node again; it rejoins (a killed master comes back as a replica). */
  start(port: number): Promise<void>;
  /**
   * Resolves once every live node reports `cluster_state:ok`, agrees on the
   * masters, and every live replica's link to its master is up.
   */
  waitHealthy(timeoutMs?: number): Promise<void>;
  /** Kills every node and removes the directory. */
  close(): Promise<void>;
}

/**
 * Starts `masters × (1 + replicasPerMaster)` `redis-server --cluster-enabled yes`
 * processes on free ports and forms the cluster with
 * `redis-cli --cluster create … --cluster-replicas N --cluster-yes`.
 */
export async function startRedisCluster(
  options: StartRedisClusterOptions = {},
): Promise<TestRedisCluster> {
  const masters = options.masters ?? 3;
  const replicas = options.replicasPerMaster ?? 1;
  const nodeTimeoutMs = options.nodeTimeoutMs ?? 1000;
  const count = masters * (1 + replicas);
  const host = '127.0.0.1';
  // Client ports first, then the cluster-bus ports (`--cluster-port`), all free.
  const base = await freePortRange(count * 2);
  const ports = Array.from({ length: count }, (_, i) => base + i);
  const dir = await mkdtemp(join(tmpdir(), 'dynapharm-redis-cluster-'));
  const children = new Map<number, ChildProcess>();

  const launch = async (port: number) => {
    const busPort = port + count;
    const proc = spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--cluster-port',
        String(busPort),
        '--bind',
        host,
        '--cluster-enabled',
        'yes',
        '--cluster-config-file',
        `nodes-${port}.conf`,
        '--cluster-node-timeout',
        String(nodeTimeoutMs),
        '--dir',
        dir,
        '--dbfilename',
        `dump-${port}.rdb`,
        '--save',
        '',
        '--appendonly',
        'no',
        '--protected-mode',
        'no',
        '--logfile',
        `node-${port}.log`,
        // A replica that never finished its first sync cannot take over: sync at once.
        '--repl-diskless-sync-delay',
        '0',
      ],
      { stdio: 'ignore' },
    );
    const failed = once(proc, 'error').then(([err]) => {
      throw new Error(
        `cannot start redis-server (${(err as Error).message}); install Debian's redis-server`,
      );
    });
    await Promise.race([waitForPort(port), failed]);
    children.set(port, proc);
  };

  const kill = async (port: number) => {
    const proc = children.get(port);
    children.delete(port);
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    proc.kill('SIGKILL');
    await once(proc, 'exit');
  };

  const cli = async (port: number, ...args: string[]) =>
    (await run('redis-cli', ['-h', host, '-p', String(port), ...args])).stdout;

  const livePort = () => {
    const port = [...children.keys()][0];
    if (port === undefined) throw new Error('no node of the cluster is running');
    return port;
  };

  const nodesSeenBy = async (port: number): Promise<RedisClusterNode[]> =>
    parseClusterNodes(await cli(port, 'CLUSTER', 'NODES'));

  const cluster: TestRedisCluster = {
    host,
    ports,
    nodesEnv: ports.map((p) => `${host}:${p}`).join(','),
    nodes: () => nodesSeenBy(livePort()),
    async slotOf(key) {
      return Number((await cli(livePort(), 'CLUSTER', 'KEYSLOT', key)).trim());
    },
    async masterOf(slot) {
      const nodes = await cluster.nodes();
      const owner = nodes.find(
        (n) =>
          n.role === 'master' && !n.failing && n.slots.some(([a, b]) => slot >= a && slot <= b),
      );
      if (!owner) throw new Error(`no live master serves slot ${slot}`);
      return owner.port;
    },
    kill,
    start: launch,
    async waitHealthy(timeoutMs = 30_000) {
      await eventually(
        async () => {
          const views = await Promise.all(
            [...children.keys()].map(async (port) => ({
              info: await cli(port, 'CLUSTER', 'INFO'),
              replication: await cli(port, 'INFO', 'replication'),
              masters: (await nodesSeenBy(port))
                .filter((n) => n.role === 'master' && !n.failing && n.slots.length > 0)
                .map((n) => n.port)
                .sort()
                .join(','),
            })),
          );
          return (
            views.every((v) => /cluster_state:ok/.test(v.info)) &&
            // Every replica has finished syncing with its master.
            views.every(
              (v) =>
                /role:master/.test(v.replication) || /master_link_status:up/.test(v.replication),
            ) &&
            new Set(views.map((v) => v.masters)).size === 1 &&
            (views[0]?.masters.split(',').length ?? 0) === masters
          );
        },
        (ok) => ok,
        timeoutMs,
      );
    },
    async close() {
      await Promise.all([...children.keys()].map(kill));
      await rm(dir, { recursive: true, force: true });
    },
  };

  try {
    await Promise.all(ports.map(launch));
    await run(
      'redis-cli',
      [
        '--cluster',
        'create',
        ...ports.map((p) => `${host}:${p}`),
        '--cluster-replicas',
        String(replicas),
        '--cluster-yes',
      ],
      { timeout: 60_000 },
    );
    await cluster.waitHealthy();
  } catch (err) {
    await cluster.close();
    throw err;
  }
  return cluster;
}

/** Parses the text of `CLUSTER NODES`. */
export function parseClusterNodes(text: string): RedisClusterNode[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .map((line) => {
      const [id = '', address = '', flags = '', master = '-', , , , , ...slots] = line.split(' ');
      const flagList = flags.split(',');
      const port = Number(/:(\d+)@/.exec(address)?.[1]);
      return {
        id,
        port,
        role: flagList.includes('master') ? 'master' : 'replica',
        failing: flagList.includes('fail') || flagList.includes('fail?'),
        ...(master === '-' ? {} : { masterId: master }),
        slots: slots
          .filter((s) => !s.startsWith('['))
          .map((s): [number, number] => {
            const [a, b] = s.split('-').map(Number) as [number, number?];
            return [a, b ?? a];
          }),
      } satisfies RedisClusterNode;
    });
}
