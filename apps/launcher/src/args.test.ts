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

  it('parses scale N and status', () => {
    expect(parseArgs(['scale', '4'])).toEqual({ kind: 'scale', replicas: 4 });
    expect(parseArgs(['status'])).toEqual({ kind: 'status' });
    expect(parseArgs(['--help'])).toEqual({ kind: 'help' });
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
  ])('rejects %j with a usage error', (argv) => {
    expect(() => parseArgs(argv)).toThrow(UsageError);
  });
});
