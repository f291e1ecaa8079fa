import { MAX_REPLICAS } from './env.ts';

/** What the command line asks the launcher to do. */
export type Command =
  | { kind: 'up'; replicas?: number; frontDoor?: 'haproxy' | 'node' }
  | { kind: 'scale'; replicas: number }
  | { kind: 'status' }
  | { kind: 'help' };

export const usage = `usage:
  node apps/launcher/dist/main.js [up] [--replicas N] [--front-door haproxy|node]
      start the local cluster (what \`npm start\` / \`pnpm cluster\` run)
  node apps/launcher/dist/main.js scale N     (pnpm cluster:scale N)
      change the number of gateway replicas of the running cluster (1-${MAX_REPLICAS})
  node apps/launcher/dist/main.js status      (pnpm cluster:status)
      print the running cluster's processes and URLs`;

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
  const flags = first === 'up' ? rest : args;
  const command: Extract<Command, { kind: 'up' }> = { kind: 'up' };
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
      default:
        throw new UsageError(`unknown argument "${flag}"`);
    }
  }
  return command;
}
