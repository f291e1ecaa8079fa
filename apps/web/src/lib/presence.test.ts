import type { PresenceMember } from '@dynapharm/types';
import { describe, expect, it } from 'vitest';
import { onlineUsers } from './presence.ts';

const member = (overrides: Partial<PresenceMember>): PresenceMember => ({
  userId: 'staff-kampala',
  name: 'Kampala Pharmacy Staff',
  role: 'staff',
  deviceId: 'device-one',
  since: '2026-12-01T09:14:00.000Z',
  gateway: 'gw-1',
  ...overrides,
});

describe('onlineUsers', () => {
  it('lists people, not devices: one entry per user with the earliest since', () => {
    const users = onlineUsers([
      member({ deviceId: 'device-two', since: '2026-12-01T09:20:00.000Z' }),
      member({
        userId: 'manager-kampala',
        name: null,
        role: 'manager',
        since: '2026-12-01T08:00:00.000Z',
      }),
      member({}),
    ]);
    expect(users).toEqual([
      {
        userId: 'manager-kampala',
        name: 'manager-kampala',
        role: 'manager',
        since: '2026-12-01T08:00:00.000Z',
        devices: 1,
      },
      {
        userId: 'staff-kampala',
        name: 'Kampala Pharmacy Staff',
        role: 'staff',
        since: '2026-12-01T09:14:00.000Z',
        devices: 2,
      },
    ]);
  });

  it('is empty for nobody', () => {
    expect(onlineUsers([])).toEqual([]);
  });
});
