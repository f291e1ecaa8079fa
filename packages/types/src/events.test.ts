import { describe, expect, it } from 'vitest';
import { channelName, parseChannel, roomsForChange } from './events.ts';

const branch = '0193a1b2-0000-7000-8000-000000000001';

describe('channels', () => {
  it('names resource-wide and branch channels', () => {
    expect(channelName('clients')).toBe('clients');
    expect(channelName('clients', branch)).toBe(`clients@${branch}`);
  });

  it('parses valid channels and rejects everything else', () => {
    expect(parseChannel('orders')).toEqual({ resource: 'orders' });
    expect(parseChannel(`orders@${branch.toUpperCase()}`)).toEqual({
      resource: 'orders',
      branchId: branch,
    });
    for (const bad of [
      '',
      'order',
      'orders@',
      'orders@nope',
      `x@${branch}`,
      42,
      null,
      {},
      'a'.repeat(200),
    ]) {
      expect(parseChannel(bad)).toBeUndefined();
    }
  });

  it('broadcasts branch rows to both rooms and global rows to one', () => {
    expect(roomsForChange({ resource: 'stock', branchId: branch })).toEqual([
      'stock',
      `stock@${branch}`,
    ]);
    expect(roomsForChange({ resource: 'products', branchId: null })).toEqual(['products']);
  });
});
