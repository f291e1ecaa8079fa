import { describe, expect, it } from 'vitest';
import { presenceEventSchema, presenceRoom, presenceWatchSchema } from './presence.ts';

const branch = '0193a1b2-0000-7000-8000-000000000001';

describe('presence wire', () => {
  it('accepts a watch of own branches or of named ones, nothing else', () => {
    expect(presenceWatchSchema.safeParse({}).success).toBe(true);
    expect(presenceWatchSchema.safeParse({ branches: [branch] }).success).toBe(true);
    for (const bad of [
      null,
      'x',
      [],
      { branches: [] },
      { branches: ['x'] },
      { branches: branch },
      { branches: [branch], role: 'admin' },
      { branches: Array.from({ length: 51 }, () => branch) },
    ]) {
      expect(presenceWatchSchema.safeParse(bad).success, JSON.stringify(bad)).toBe(false);
    }
  });

  it('parses join and leave events and refuses a member without its fields', () => {
    const member = {
      userId: 'staff-kampala',
      name: null,
      role: 'staff',
      deviceId: 'device-one',
      since: '2026-12-01T09:14:00.000Z',
      gateway: 'gw-1',
    };
    expect(presenceEventSchema.safeParse({ type: 'join', branchId: branch, member }).success).toBe(
      true,
    );
    expect(presenceEventSchema.safeParse({ type: 'kick', branchId: branch, member }).success).toBe(
      false,
    );
    expect(
      presenceEventSchema.safeParse({
        type: 'leave',
        branchId: branch,
        member: { ...member, deviceId: '../x' },
      }).success,
    ).toBe(false);
  });

  it('names the room of a branch apart from every resource channel', () => {
    expect(presenceRoom(branch)).toBe(`presence@${branch}`);
  });
});
