import type { Principal } from '@dynapharm/types';
import { describe, expect, it } from 'vitest';
import { planSubscribe, planUnsubscribe, readChannelList } from './channels.ts';

const A = '0193a1b2-0000-7000-8000-00000000000a';
const B = '0193a1b2-0000-7000-8000-00000000000b';
const admin: Principal = { userId: 'root', role: 'admin', branches: [] };
const staff: Principal = { userId: 's', role: 'staff', branches: [A] };
const manager: Principal = { userId: 'm', role: 'manager', branches: [A, B] };

describe('planSubscribe', () => {
  it('gives a branch user their own branch rooms for a resource-wide channel', () => {
    expect(planSubscribe(manager, ['clients'])).toEqual({
      rooms: [`clients@${A}`, `clients@${B}`],
      denied: [],
    });
  });

  it('forbids another branch and accepts the own one', () => {
    expect(planSubscribe(staff, [`orders@${B}`, `orders@${A}`])).toEqual({
      rooms: [`orders@${A}`],
      denied: [{ channel: `orders@${B}`, reason: 'forbidden' }],
    });
  });

  it('forbids a resource-wide channel to a user without branches', () => {
    const nobody: Principal = { userId: 'n', role: 'staff', branches: [] };
    expect(planSubscribe(nobody, ['clients']).denied).toEqual([
      { channel: 'clients', reason: 'forbidden' },
    ]);
  });

  it('lets admins join exactly what they ask for', () => {
    expect(planSubscribe(admin, ['clients', `clients@${B}`]).rooms).toEqual([
      'clients',
      `clients@${B}`,
    ]);
  });

  it('maps global resources to their single room for everyone', () => {
    expect(planSubscribe(staff, ['products', `products@${B}`])).toEqual({
      rooms: ['products'],
      denied: [],
    });
  });

  it('rejects anything that is not a channel, without echoing huge values', () => {
    const plan = planSubscribe(admin, [42, null, 'nope', `clients@not-a-uuid`, 'x'.repeat(5000)]);
    expect(plan.rooms).toEqual([]);
    expect(plan.denied.map((d) => d.reason)).toEqual(Array(5).fill('invalid'));
    expect(plan.denied.every((d) => d.channel.length <= 100)).toBe(true);
  });

  it('normalises branch ids to lower case and de-duplicates', () => {
    expect(planSubscribe(staff, [`clients@${A.toUpperCase()}`, 'clients']).rooms).toEqual([
      `clients@${A}`,
    ]);
  });
});

describe('readChannelList', () => {
  it('accepts arrays of up to 100 entries only', () => {
    expect(readChannelList(['clients'])).toEqual(['clients']);
    expect(readChannelList('clients')).toEqual({
      granted: [],
      denied: [{ channel: '', reason: 'invalid' }],
    });
    expect(readChannelList(Array(101).fill('clients'))).toEqual({
      granted: [],
      denied: [{ channel: '', reason: 'limit' }],
    });
  });
});

describe('planUnsubscribe', () => {
  it('leaves every branch room of a resource when asked for the resource', () => {
    const joined = new Set(['sid', `clients@${A}`, `clients@${B}`, `orders@${A}`]);
    const { rooms, ack } = planUnsubscribe(joined, ['clients', 'bad']);
    expect(rooms.sort()).toEqual(['clients', `clients@${A}`, `clients@${B}`].sort());
    expect(ack).toEqual({ granted: ['clients'], denied: [{ channel: 'bad', reason: 'invalid' }] });
  });
});
