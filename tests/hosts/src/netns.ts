import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** Every namespace of this suite starts with it, followed by the owning process id. */
const NS_PREFIX = 'dynhosts-';

/**
 * A simulated host: a network namespace of its own with loopback, one
 * interface (`eth0`) and one address on the run's private /24, cabled to the
 * run's switch.
 */
export interface Host {
  name: string;
  /** Network namespace name. */
  ns: string;
  ip: string;
  /** The switch port (in the switch namespace) this host's cable plugs into. */
  port: string;
}

/** A process started inside a simulated host. */
export interface HostProcess {
  name: string;
  host: Host;
  child: ChildProcess;
  logFile: string;
  /** Last lines of its output, for failure messages. */
  tail(lines?: number): string;
  kill(): Promise<void>;
}

async function ip(...args: string[]) {
  try {
    await execFileAsync('ip', args);
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr?.trim();
    throw new Error(`ip ${args.join(' ')} failed: ${stderr || String(err)}`);
  }
}

async function ipOut(...args: string[]) {
  const { stdout } = await execFileAsync('ip', args);
  return stdout;
}

/**
 * The suite needs root and iproute2; CI runs as root with `iproute2` installed.
 * Throws with what is missing instead of skipping.
 */
export async function assertNetnsSupport() {
  if (process.getuid?.() !== 0) {
    throw new Error(
      'tests/hosts builds network namespaces and must run as root (CI does); run it with sudo or as root',
    );
  }
  try {
    await execFileAsync('ip', ['-V']);
  } catch {
    throw new Error('tests/hosts needs `ip` from iproute2: apt-get install -y iproute2');
  }
}

function alive(pid: number) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Namespace names currently present. */
export async function listNamespaces(): Promise<string[]> {
  const out = await ipOut('netns', 'list');
  return out
    .split('\n')
    .map((line) => line.split(' ')[0] ?? '')
    .filter(Boolean);
}

/**
 * Removes namespaces left by runs of this suite whose process is gone (a
 * killed worker never reaches its clean-up). Live runs' namespaces stay.
 */
async function sweepDeadRuns() {
  for (const ns of await listNamespaces()) {
    const match = ns.startsWith(NS_PREFIX) ? /^dynhosts-(\d+)-/.exec(ns) : null;
    if (match && !alive(Number(match[1]))) await killAndDelete(ns);
  }
}

async function killAndDelete(ns: string) {
  const pids = await ipOut('netns', 'pids', ns).catch(() => '');
  for (const pid of pids.split('\n').map(Number).filter(Number.isInteger)) {
    if (pid > 0) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
  await ip('netns', 'del', ns).catch(() => {});
}

const toInt = (addr: string) => addr.split('.').reduce((n, part) => n * 256 + Number(part), 0);

/** A 10.x.y.0/24 that no route or address of the root namespace overlaps. */
async function freeSubnet(): Promise<string> {
  const routes = (await ipOut('-4', 'route', 'show', 'table', 'all'))
    .split('\n')
    .map((line) => line.split(' ')[0] ?? '')
    .filter((dst) => /^\d+\.\d+\.\d+\.\d+(\/\d+)?$/.test(dst))
    .map((dst) => {
      const [addr = '0.0.0.0', bits = '32'] = dst.split('/');
      const size = 2 ** (32 - Number(bits));
      const start = toInt(addr) - (toInt(addr) % size);
      return { start, end: start + size };
    });
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = `10.${128 + Math.floor(Math.random() * 120)}.${Math.floor(Math.random() * 256)}`;
    const start = toInt(`${base}.0`);
    if (routes.every((r) => r.end <= start || r.start >= start + 256)) return base;
  }
  throw new Error('no free 10.x.y.0/24 found for the simulated hosts');
}

/**
 * A private network of simulated hosts for one test run: a switch (a Linux
 * bridge in a namespace of its own, so the machine's firewall never sees the
 * bridged traffic), one namespace per host cabled to it by a veth pair, and a
 * veth from the root namespace so the test process reaches every host (and
 * the hosts reach it at `rootIp`). `destroy()` removes all of it.
 */
export async function createTopology(logDir: string) {
  await assertNetnsSupport();
  await sweepDeadRuns();
  const runId = `${process.pid}-${randomBytes(3).toString('hex')}`;
  const switchNs = `${NS_PREFIX}${runId}-switch`;
  // Interface names are at most 15 characters; only this one lives in the root namespace.
  const rootLink = `dh${randomBytes(4).toString('hex')}`;
  const hosts: Host[] = [];
  const processes: HostProcess[] = [];
  let nextAddress = 10;
  let destroyed = false;

  const base = await freeSubnet();
  await ip('netns', 'add', switchNs);
  try {
    await ip('-n', switchNs, 'link', 'set', 'lo', 'up');
    await ip('-n', switchNs, 'link', 'add', 'br0', 'type', 'bridge');
    await ip('-n', switchNs, 'link', 'set', 'br0', 'up');
    await ip('link', 'add', rootLink, 'type', 'veth', 'peer', 'name', 'p-root', 'netns', switchNs);
    await ip('-n', switchNs, 'link', 'set', 'p-root', 'master', 'br0', 'up');
    await ip('addr', 'add', `${base}.1/24`, 'dev', rootLink);
    await ip('link', 'set', rootLink, 'up');
  } catch (err) {
    await killAndDelete(switchNs);
    throw err;
  }

  const topology = {
    runId,
    subnet: `${base}.0/24`,
    /** The test process's address on the private network. */
    rootIp: `${base}.1`,
    switchNs,
    hosts,

    async addHost(name: string): Promise<Host> {
      const ns = `${NS_PREFIX}${runId}-${name}`;
      const host: Host = { name, ns, ip: `${base}.${nextAddress++}`, port: `p-${name}` };
      await ip('netns', 'add', ns);
      hosts.push(host);
      await ip('-n', ns, 'link', 'set', 'lo', 'up');
      await ip(
        '-n',
        switchNs,
        'link',
        'add',
        host.port,
        'type',
        'veth',
        'peer',
        'name',
        'eth0',
        'netns',
        ns,
      );
      await ip('-n', switchNs, 'link', 'set', host.port, 'master', 'br0', 'up');
      await ip('-n', ns, 'addr', 'add', `${host.ip}/24`, 'dev', 'eth0');
      await ip('-n', ns, 'link', 'set', 'eth0', 'up');
      return host;
    },

    /** Pulls the host's cable at the switch: its link goes down, its processes keep running. */
    cut: (host: Host) => ip('-n', switchNs, 'link', 'set', host.port, 'down'),
    /** Plugs it back in. */
    restore: (host: Host) => ip('-n', switchNs, 'link', 'set', host.port, 'up'),

    /** Starts `command` inside the host (`ip netns exec` execs it, so the pid is the command's). */
    run(
      host: Host,
      name: string,
      command: string,
      args: string[],
      env: NodeJS.ProcessEnv = process.env,
    ): HostProcess {
      const logFile = join(logDir, `${name}.log`);
      const fd = openSync(logFile, 'a');
      const child = spawn('ip', ['netns', 'exec', host.ns, command, ...args], {
        env,
        stdio: ['ignore', fd, fd],
      });
      closeSync(fd);
      child.on('error', () => {});
      const exited = once(child, 'exit');
      const proc: HostProcess = {
        name,
        host,
        child,
        logFile,
        tail(lines = 20) {
          try {
            return readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
          } catch {
            return '';
          }
        },
        async kill() {
          if (child.exitCode !== null || child.signalCode !== null) return;
          child.kill('SIGKILL');
          await exited;
        },
      };
      processes.push(proc);
      return proc;
    },

    /** Kills every process started here, deletes every namespace (their veths go with them). */
    async destroy() {
      if (destroyed) return;
      destroyed = true;
      await Promise.allSettled(processes.map((p) => p.kill()));
      for (const host of hosts) await killAndDelete(host.ns);
      await killAndDelete(switchNs);
      await ip('link', 'del', rootLink).catch(() => {});
    },

    /** Namespaces and the root link of this run still present (empty after `destroy`). */
    async leftovers(): Promise<string[]> {
      const mine = (await listNamespaces()).filter((ns) => ns.startsWith(`${NS_PREFIX}${runId}-`));
      const link = await ipOut('link', 'show', rootLink).catch(() => '');
      return link ? [...mine, rootLink] : mine;
    },
  };
  return topology;
}

export type Topology = Awaited<ReturnType<typeof createTopology>>;
