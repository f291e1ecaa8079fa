import { type Principal, type Role, resourceNames, roles } from '@dynapharm/types';
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

describe('planSubscribe and the permission matrix', () => {
  it('grants every role its readable resources (today: all of them)', () => {
    for (const role of roles) {
      const who: Principal = { userId: role, role, branches: [A] };
      const plan = planSubscribe(who, [...resourceNames]);
      expect(plan.denied).toEqual([]);
      expect(plan.rooms).toHaveLength(resourceNames.length);
    }
  });

  it('forbids a resource the role may not read, admins included, on every channel form', () => {
    const noStock = (_role: Role, resource: string) => resource !== 'stock';
    for (const who of [admin, manager, staff]) {
      const plan = planSubscribe(who, ['stock', `stock@${A}`, 'clients'], noStock);
      expect(plan.denied).toEqual([
        { channel: 'stock', reason: 'forbidden' },
        { channel: `stock@${A}`, reason: 'forbidden' },
      ]);
      expect(plan.rooms.every((room) => room.startsWith('clients'))).toBe(true);
    }
    const noProducts = (_role: Role, resource: string) => resource !== 'products';
    expect(planSubscribe(staff, ['products'], noProducts)).toEqual({
      rooms: [],
      denied: [{ channel: 'products', reason: 'forbidden' }],
    });
  });

  it('denies a role the matrix does not know', () => {
    const stranger = { userId: 'x', role: 'root', branches: [A] } as unknown as Principal;
    expect(planSubscribe(stranger, ['clients', `clients@${A}`, 'products'])).toEqual({
      rooms: [],
      denied: [
        { channel: 'clients', reason: 'forbidden' },
        { channel: `clients@${A}`, reason: 'forbidden' },
        { channel: 'products', reason: 'forbidden' },
      ],
    });
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
