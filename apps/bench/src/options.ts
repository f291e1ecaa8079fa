import { parseArgs } from 'node:util';

/** What one `pnpm bench` run does. Defaults are applied in {@link parseOptions} only. */
export interface BenchOptions {
  /** Realtime connections held open, spread over the gateways. @default 3000 */
  connections: number;
  /** API writes per second in the steady phase (open loop). @default 200 */
  rate: number;
  /** Seconds of the steady phase, per system. @default 20 */
  durationSec: number;
  /** Characters of `notes` in each write. @default 200 */
  payloadBytes: number;
  /** Subscribers per branch room; sets how many branches are used. @default 200 */
  roomSize: number;
  /** Gateway (and baseline server) processes. @default 3 */
  gateways: number;
  /** Client worker processes. @default 2 */
  clientWorkers: number;
  /** 127.0.0.x source addresses the clients bind to. @default 8 */
  sourceAddresses: number;
  /** Concurrent writers in the saturation, plain-insert and bare-HTTP phases. @default 16 */
  concurrency: number;
  /** Seconds of each saturation phase. @default 10 */
  saturationSec: number;
  /** Run the baselines (Socket.IO + Redis adapter, raw ws, plain inserts, bare Express + pg). @default true */
  baselines: boolean;
  /** Extra idle connections for the heap-per-connection phase (0: measure on the subscribers). @default 0 */
  idleConnections: number;
  /** Write `--cpu-prof` profiles of the API and one gateway to `results/profiles`. @default false */
  profile: boolean;
  /** Small run for a CI smoke test. */
  quick: boolean;
  /** Where `latest.json` and `latest.svg` go. */
  resultsDir: string;
}

export const usage = `pnpm bench [-- options]

  --connections N        realtime connections over the gateways      (default 3000, env BENCH_CONNECTIONS)
  --rate N               API writes per second, open loop             (default 200,  env BENCH_RATE)
  --duration S           seconds of each steady phase                 (default 20,   env BENCH_DURATION)
  --payload N            characters of notes in each write            (default 200,  env BENCH_PAYLOAD)
  --room-size N          subscribers per branch room                  (default 200)
  --gateways N           gateway / baseline server processes          (default 3)
  --client-workers N     client processes                             (default 2)
  --source-addresses N   127.0.0.x addresses clients bind to          (default 8)
  --concurrency N        writers in saturation and write baselines    (default 16)
  --saturation S         seconds of each saturation phase             (default 10)
  --idle-connections N   extra idle sockets for the heap phase        (default 0)
  --no-baselines         skip the four baselines
  --profile              --cpu-prof the API and the first gateway
  --quick                small smoke run (300 connections, 50 writes/s, 5 s)
  --results DIR          output folder                                (default apps/bench/results)

Infrastructure: DATABASE_URL (else embedded PostgreSQL), REDIS_URL (else
127.0.0.1:6379 if it answers, else redis-server from PATH).`;

const defaults = {
  connections: 3000,
  rate: 200,
  durationSec: 20,
  payloadBytes: 200,
  roomSize: 200,
  gateways: 3,
  clientWorkers: 2,
  sourceAddresses: 8,
  concurrency: 16,
  saturationSec: 10,
  idleConnections: 0,
} as const;

const quick = {
  connections: 300,
  rate: 50,
  durationSec: 5,
  roomSize: 50,
  saturationSec: 3,
  concurrency: 8,
} as const;

/** A flag or variable that is not a usable number; the message names it. */
export class OptionError extends Error {
  override readonly name = 'OptionError';
}

function count(name: string, raw: string | undefined, min: number, max: number) {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new OptionError(`${name} must be an integer from ${min} to ${max} (got "${raw}")`);
  }
  return value;
}

/**
 * Reads CLI flags, then `BENCH_*` variables, then `--quick` presets, then defaults.
 *
 * @example
 * parseOptions(['--connections', '10000', '--rate', '200'], {}, '/repo/apps/bench/results');
 */
export function parseOptions(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  defaultResultsDir: string,
): BenchOptions | 'help' {
  const { values } = parseArgs({
    args: argv.filter((a) => a !== '--'),
    strict: true,
    options: {
      connections: { type: 'string' },
      rate: { type: 'string' },
      duration: { type: 'string' },
      payload: { type: 'string' },
      'room-size': { type: 'string' },
      gateways: { type: 'string' },
      'client-workers': { type: 'string' },
      'source-addresses': { type: 'string' },
      concurrency: { type: 'string' },
      saturation: { type: 'string' },
      'idle-connections': { type: 'string' },
      'no-baselines': { type: 'boolean', default: false },
      profile: { type: 'boolean', default: false },
      quick: { type: 'boolean', default: false },
      results: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) return 'help';
  const preset = values.quick || env.BENCH_QUICK === '1' ? { ...defaults, ...quick } : defaults;
  const pick = (flag: string | undefined, envName: string | undefined) =>
    flag ?? (envName ? env[envName] : undefined);
  const options: BenchOptions = {
    connections:
      count('--connections', pick(values.connections, 'BENCH_CONNECTIONS'), 1, 200_000) ??
      preset.connections,
    rate: count('--rate', pick(values.rate, 'BENCH_RATE'), 1, 100_000) ?? preset.rate,
    durationSec:
      count('--duration', pick(values.duration, 'BENCH_DURATION'), 1, 3600) ?? preset.durationSec,
    payloadBytes:
      count('--payload', pick(values.payload, 'BENCH_PAYLOAD'), 0, 2000) ?? preset.payloadBytes,
    roomSize: count('--room-size', values['room-size'], 1, 100_000) ?? preset.roomSize,
    gateways: count('--gateways', values.gateways, 1, 16) ?? preset.gateways,
    clientWorkers:
      count('--client-workers', values['client-workers'], 1, 32) ?? preset.clientWorkers,
    sourceAddresses:
      count('--source-addresses', values['source-addresses'], 1, 250) ?? preset.sourceAddresses,
    concurrency: count('--concurrency', values.concurrency, 1, 256) ?? preset.concurrency,
    saturationSec: count('--saturation', values.saturation, 1, 600) ?? preset.saturationSec,
    idleConnections:
      count('--idle-connections', values['idle-connections'], 0, 200_000) ?? preset.idleConnections,
    baselines: !values['no-baselines'],
    profile: values.profile,
    quick: values.quick || env.BENCH_QUICK === '1',
    resultsDir: values.results ?? defaultResultsDir,
  };
  return options;
}

/** Branch rooms needed so that each holds about `roomSize` subscribers. */
export function branchCount(connections: number, roomSize: number): number {
  return Math.max(1, Math.ceil(connections / roomSize));
}
