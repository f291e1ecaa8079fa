import { describe, expect, it } from 'vitest';
import { GatewayPool } from './node-proxy.ts';

const gw = (n: number) => ({ name: `gw-${n}`, host: '127.0.0.1', port: 8080 + n });

describe('GatewayPool', () => {
  it('keeps a client on the replica its cookie names', () => {
    const pool = new GatewayPool([gw(1), gw(2), gw(3)]);
    for (let i = 0; i < 5; i++) expect(pool.pick('gw-2')).toEqual({ target: gw(2), fresh: false });
  });

  it('spreads cookie-less clients and asks for a cookie', () => {
    const pool = new GatewayPool([gw(1), gw(2)]);
    const names = [pool.pick(undefined), pool.pick(undefined)].map((p) => p?.target.name);
    expect(new Set(names)).toEqual(new Set(['gw-1', 'gw-2']));
    expect(pool.pick(undefined)?.fresh).toBe(true);
  });

  it('moves a client off a failed or removed replica, like option redispatch', () => {
    const pool = new GatewayPool([gw(1), gw(2)]);
    pool.mark('gw-2', false);
    expect(pool.pick('gw-2')).toEqual({ target: gw(1), fresh: true });
    pool.mark('gw-2', true);
    pool.set([gw(2)]);
    expect(pool.pick('gw-1')).toEqual({ target: gw(2), fresh: true });
  });

  it('has nothing to offer when every replica is down', () => {
    const pool = new GatewayPool([gw(1)]);
    pool.mark('gw-1', false);
    expect(pool.pick(undefined)).toBeUndefined();
  });
});
