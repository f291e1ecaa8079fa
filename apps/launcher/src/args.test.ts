import { describe, expect, it } from 'vitest';
import { parseArgs, UsageError } from './args.ts';

describe('parseArgs', () => {
  it('starts the cluster when given nothing', () => {
    expect(parseArgs([])).toEqual({ kind: 'up' });
    expect(parseArgs(['up'])).toEqual({ kind: 'up' });
  });

  it('reads --replicas and --front-door in both spellings, past a pnpm "--"', () => {
    expect(parseArgs(['--', '--replicas', '5', '--front-door=node'])).toEqual({
      kind: 'up',
      replicas: 5,
      frontDoor: 'node',
    });
    expect(parseArgs(['up', '-r=2'])).toEqual({ kind: 'up', replicas: 2 });
  });

  it('parses scale N, restart and status', () => {
    expect(parseArgs(['scale', '4'])).toEqual({ kind: 'scale', replicas: 4 });
    expect(parseArgs(['restart'])).toEqual({ kind: 'restart' });
    expect(parseArgs(['status'])).toEqual({ kind: 'status' });
    expect(parseArgs(['--help'])).toEqual({ kind: 'help' });
  });

  it('parses backup and restore with an optional point in time', () => {
    expect(parseArgs(['backup'])).toEqual({ kind: 'backup' });
    expect(parseArgs(['restore'])).toEqual({ kind: 'restore' });
    expect(parseArgs(['restore', '--', '--to', '2026-01-02T03:04:05.250Z', '-r', '2'])).toEqual({
      kind: 'restore',
      to: new Date('2026-01-02T03:04:05.250Z'),
      replicas: 2,
    });
    expect(parseArgs(['restore', '--to=2026-01-02 05:04:05+02:00'])).toEqual({
      kind: 'restore',
      to: new Date('2026-01-02T03:04:05Z'),
    });
  });

  it.each([
    [['scale']],
    [['scale', '0']],
    [['scale', '21']],
    [['scale', '2.5']],
    [['scale', '3', '4']],
    [['--replicas']],
    [['--front-door', 'nginx']],
    [['--frobnicate']],
    [['status', 'now']],
    [['restart', 'gw-1']],
    [['backup', 'now']],
    [['restore', '--to']],
    [['restore', '--to', 'yesterday']],
    [['restore', '--to', '2026-12-01T09:30:00']],
    [['restore', '--to', '2999-01-01T00:00:00Z']],
    [['--to', '2026-12-01T09:30:00Z']],
  ])('rejects %j with a usage error', (argv) => {
    expect(() => parseArgs(argv)).toThrow(UsageError);
  });
});
