import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, statSync } from 'node:fs';

export interface ChildSpec {
  /** Short name used in messages and the state file, e.g. `gw-2`. */
  name: string;
  command: string;
  args: readonly string[];
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** stdout and stderr are appended here. */
  logFile: string;
  /** Opens an IPC channel (for the PostgreSQL helper). */
  ipc?: boolean;
  /** Runs as this user and group (a launcher running as root, for PgBouncer). */
  user?: { uid: number; gid: number };
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A process the launcher started and will stop; see {@link startChild}. */
export interface ManagedChild {
  readonly name: string;
  readonly pid: number;
  readonly process: ChildProcess;
  readonly logFile: string;
  /** Resolves when the process has exited. */
  readonly exited: Promise<ExitInfo>;
  isRunning(): boolean;
  /**
   * Sends `signal` and waits up to `timeoutMs` for the exit, then kills the
   * whole process group. Resolves once the process is gone.
   */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<ExitInfo>;
  /** Kills the process group at once (second Ctrl-C). */
  kill(): void;
}

/**
 * Starts a child in a process group of its own, with its output going straight
 * to a log file. Its own group keeps a terminal Ctrl-C away from it, so the
 * launcher decides the shutdown order (front door, then gateways draining, then
 * PostgreSQL) instead of everything dying at once.
 */
export function startChild(spec: ChildSpec): ManagedChild {
  const fd = openSync(spec.logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(spec.command, [...spec.args], {
      cwd: spec.cwd,
      env: spec.env,
      detached: true,
      stdio: spec.ipc ? ['ignore', fd, fd, 'ipc'] : ['ignore', fd, fd],
      ...(spec.user ? { uid: spec.user.uid, gid: spec.user.gid } : {}),
    });
  } finally {
    // The child holds its own copy of the descriptor.
    closeSync(fd);
  }
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start ${spec.name} (${spec.command})`);
  let running = true;
  const exited = new Promise<ExitInfo>((resolve) => {
    child.once('exit', (code, signal) => {
      running = false;
      resolve({ code, signal });
    });
    child.once('error', () => {
      running = false;
      resolve({ code: null, signal: null });
    });
  });
  const signalGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-pid, signal);
    } catch {
      // already gone
    }
  };
  return {
    name: spec.name,
    pid,
    process: child,
    logFile: spec.logFile,
    exited,
    isRunning: () => running,
    async stop(signal = 'SIGTERM', timeoutMs = 10_000) {
      if (running) {
        try {
          process.kill(pid, signal);
        } catch {
          // already gone
        }
        const timer = setTimeout(() => signalGroup('SIGKILL'), timeoutMs);
        const info = await exited;
        clearTimeout(timer);
        // Grandchildren (HAProxy workers, postgres backends) go with their leader.
        signalGroup('SIGKILL');
        return info;
      }
      signalGroup('SIGKILL');
      return exited;
    },
    kill: () => signalGroup('SIGKILL'),
  };
}

/** The last `lines` lines of a log file, for error messages. */
export function tailOf(file: string, lines = 15): string {
  try {
    const size = statSync(file).size;
    const text = readFileSync(file, 'utf8').slice(Math.max(0, size - 16_384));
    return text.trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}
