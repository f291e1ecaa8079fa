import { describe, expect, it } from 'vitest';
import { layoutTargets, roomSizes } from './layout.ts';

describe('layoutTargets', () => {
  const branches = ['a', 'b', 'c'];
  const servers = ['http://g1', 'http://g2', 'http://g3'];
  const tokens = new Map(branches.map((b) => [b, `token-${b}`]));

  it('puts members of every room on every gateway', () => {
    const targets = layoutTargets(90, branches, servers, 4, tokens);
    for (const b of branches) {
      const gateways = new Set(targets.filter((t) => t.room === `clients@${b}`).map((t) => t.url));
      expect(gateways.size).toBe(3);
    }
    expect([...roomSizes(targets).values()]).toEqual([30, 30, 30]);
  });

  it('spreads source addresses and carries the branch token', () => {
    const targets = layoutTargets(8, branches, servers, 4, tokens);
    expect(new Set(targets.map((t) => t.localAddress))).toEqual(
      new Set(['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5']),
    );
    expect(targets[1]).toMatchObject({ room: 'clients@b', token: 'token-b' });
  });

  it('leaves idle connections out of every room', () => {
    const targets = layoutTargets(5, branches, servers, 2, tokens, true);
    expect(targets.every((t) => t.room === '')).toBe(true);
    expect(roomSizes(targets).size).toBe(0);
  });
});
