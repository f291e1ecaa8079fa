import { describe, expect, it } from 'vitest';
import { id } from './common.ts';
import { changesPageSchema, channelName, parseChannel, roomsForChange } from './events.ts';

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

describe('ids on the wire', () => {
  // md5-derived, as imported rows may be: version nibble 'c', no RFC 9562 variant.
  const imported = '33d99951-f604-c175-bf1d-2ca7befe20eb';

  it('a changes page with a row whose uuid has no RFC 9562 version parses (catch-up must not stall on it)', () => {
    const page = {
      epoch: '5a74b61b-c998-4633-84bd-d37df588a1b2',
      head: 2,
      after: 1,
      resync: false,
      hasMore: false,
      nextAfter: 2,
      changes: [
        {
          resource: 'clients',
          action: 'updated',
          id: imported,
          branchId: imported,
          version: 2,
          offset: 2,
          epoch: '5a74b61b-c998-4633-84bd-d37df588a1b2',
          at: '2026-12-01T07:00:00.000Z',
          data: { id: imported },
        },
      ],
    };
    const parsed = changesPageSchema.safeParse(page);
    expect(parsed.error?.issues ?? []).toEqual([]);
  });

  it('still refuses what is not a uuid', () => {
    expect(id.safeParse(imported).success).toBe(true);
    expect(id.safeParse('33d99951-f604-c175-bf1d-2ca7befe20e').success).toBe(false);
    expect(id.safeParse('not-a-uuid').success).toBe(false);
  });
});
