import { parseArgs } from 'node:util';

/** What one `pnpm soak` run does. */
export interface SoakOptions {
  minutes: number;
  connections: number;
  rate: number;
  sampleSec: number;
  warmupSec: number;
  payloadBytes: number;
  roomSize: number;
  gateways: number;
  clientWorkers: number;
  sourceAddresses: number;
  resultsDir: string;
}

export const soakUsage = `pnpm soak [-- options]

  --minutes N       minutes at steady load                      (default 30)
  --connections N   realtime connections over 3 gateways        (default 1000)
  --rate N          API writes per second, open loop             (default 50)
  --sample S        seconds per sample window                    (default 30)
  --warmup S        seconds of load before the first window      (default 10% of the run, 5-60)
  --results DIR     output folder                                (default apps/bench/results)`;

function int(name: string, raw: string | undefined, min: number, max: number, fallback: number) {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${name} must be an integer from ${min} to ${max} (got "${raw}")`);
  }
  return value;
}

export function parseSoakOptions(
  argv: readonly string[],
  defaultResultsDir: string,
): SoakOptions | 'help' {
  const { values } = parseArgs({
    args: argv.filter((a) => a !== '--'),
    strict: true,
    options: {
      minutes: { type: 'string' },
      connections: { type: 'string' },
      rate: { type: 'string' },
      sample: { type: 'string' },
      warmup: { type: 'string' },
      results: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) return 'help';
  const minutes = int('--minutes', values.minutes, 1, 24 * 60, 30);
  const defaultWarmup = Math.min(60, Math.max(5, Math.round(minutes * 6)));
  return {
    minutes,
    connections: int('--connections', values.connections, 1, 200_000, 1000),
    rate: int('--rate', values.rate, 1, 100_000, 50),
    sampleSec: int('--sample', values.sample, 1, 3600, 30),
    warmupSec: int('--warmup', values.warmup, 0, 3600, defaultWarmup),
    payloadBytes: 200,
    roomSize: 200,
    gateways: 3,
    clientWorkers: 2,
    sourceAddresses: 8,
    resultsDir: values.results ?? defaultResultsDir,
  };
}
