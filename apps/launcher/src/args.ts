import { MAX_REPLICAS } from './env.ts';

/** What the command line asks the launcher to do. */
export type Command =
  | { kind: 'up'; replicas?: number; frontDoor?: 'haproxy' | 'node' }
  | { kind: 'scale'; replicas: number }
  | { kind: 'status' }
  | { kind: 'restart' }
  | { kind: 'backup' }
  | { kind: 'restore'; to?: Date; replicas?: number; frontDoor?: 'haproxy' | 'node' }
  | { kind: 'help' };

export const usage = `usage:
  node apps/launcher/dist/main.js [up] [--replicas N] [--front-door haproxy|node]
      start the local cluster (what \`npm start\` / \`pnpm cluster\` run)
  node apps/launcher/dist/main.js scale N     (pnpm cluster:scale N)
      change the number of gateway replicas of the running cluster (1-${MAX_REPLICAS})
  node apps/launcher/dist/main.js restart     (pnpm cluster:restart)
      rolling restart: replace every gateway replica one by one (a new one
      starts and registers, then the old one drains), clients move with jitter
  node apps/launcher/dist/main.js status      (pnpm cluster:status)
      print the running cluster's processes and URLs
  node apps/launcher/dist/main.js backup      (pnpm backup)
      take a base backup of the running cluster's embedded PostgreSQL
  node apps/launcher/dist/main.js restore [--to <time>] [--replicas N] [--front-door …]
      (pnpm restore) with the cluster stopped: restore the newest base backup and
      replay the WAL archive to its end, or up to <time> (ISO 8601, e.g.
      2026-12-01T09:30:00Z), then start the cluster as \`up\` does`;

/** Thrown for a command line the launcher does not understand; the message says why. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

function replicaCount(raw: string | undefined, what: string): number {
  if (raw === undefined) throw new UsageError(`${what} needs a number`);
  if (!/^\d+$/.test(raw)) throw new UsageError(`${what}: "${raw}" is not a whole number`);
  const n = Number(raw);
  if (n < 1 || n > MAX_REPLICAS) {
    throw new UsageError(`${what}: ${n} is outside 1-${MAX_REPLICAS}`);
  }
  return n;
}

/** A point in time for `restore --to`: ISO 8601 with a zone (Z or ±hh:mm), not in the future. */
function restoreTarget(raw: string | undefined): Date {
  if (!raw) throw new UsageError('--to needs a time, e.g. --to 2026-12-01T09:30:00Z');
  const iso = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/i;
  const at = new Date(raw.replace(' ', 'T'));
  if (!iso.test(raw) || Number.isNaN(at.getTime())) {
    throw new UsageError(
      `--to: "${raw}" is not an ISO 8601 time with a zone (e.g. 2026-12-01T09:30:00Z)`,
    );
  }
  if (at.getTime() > Date.now()) throw new UsageError(`--to: ${raw} is in the future`);
  return at;
}

/**
 * Parses the launcher's arguments (without `node` and the script).
 *
 * @example
 * parseArgs(['scale', '5']); // { kind: 'scale', replicas: 5 }
 * parseArgs(['--replicas=2']); // { kind: 'up', replicas: 2 }
 */
export function parseArgs(argv: readonly string[]): Command {
  // `pnpm cluster -- --replicas 2` passes the `--` through.
  const args = argv.filter((a) => a !== '--');
  const [first, ...rest] = args;
  if (first === 'help' || args.includes('--help') || args.includes('-h')) return { kind: 'help' };
  if (first === 'scale') {
    if (rest.length !== 1) throw new UsageError('scale takes exactly one number: scale N');
    return { kind: 'scale', replicas: replicaCount(rest[0], 'scale') };
  }
  if (first === 'status') {
    if (rest.length > 0) throw new UsageError(`status takes no arguments (got ${rest.join(' ')})`);
    return { kind: 'status' };
  }
  if (first === 'restart') {
    if (rest.length > 0) throw new UsageError(`restart takes no arguments (got ${rest.join(' ')})`);
    return { kind: 'restart' };
  }
  if (first === 'backup') {
    if (rest.length > 0) throw new UsageError(`backup takes no arguments (got ${rest.join(' ')})`);
    return { kind: 'backup' };
  }
  const restore = first === 'restore';
  const flags = first === 'up' || restore ? rest : args;
  const command: Omit<Extract<Command, { kind: 'restore' }>, 'kind'> = {};
  for (let i = 0; i < flags.length; i++) {
    const flag = flags[i] ?? '';
    const [name, inline] = flag.includes('=') ? flag.split('=', 2) : [flag, undefined];
    const value = () => inline ?? flags[++i];
    switch (name) {
      case '--replicas':
      case '-r':
        command.replicas = replicaCount(value(), '--replicas');
        break;
      case '--front-door': {
        const v = value();
        if (v !== 'haproxy' && v !== 'node') {
          throw new UsageError(`--front-door is "haproxy" or "node" (got ${v ?? 'nothing'})`);
        }
        command.frontDoor = v;
        break;
      }
      case '--to': {
        const v = value();
        if (!restore) throw new UsageError('--to only goes with restore');
        command.to = restoreTarget(v);
        break;
      }
      default:
        throw new UsageError(`unknown argument "${flag}"`);
    }
  }
  return restore ? { kind: 'restore', ...command } : { kind: 'up', ...command };
}
