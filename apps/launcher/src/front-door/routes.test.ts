import { describe, expect, it } from 'vitest';
import { readCookie, routeFor } from './routes.ts';

describe('routeFor', () => {
  it.each([
    ['/ws/?EIO=4&transport=polling', { to: 'gateway', path: '/ws/?EIO=4&transport=polling' }],
    ['/ws', { to: 'gateway', path: '/ws' }],
    ['/ws-stats', { to: 'gateway-stats', path: '/stats' }],
    ['/api/health', { to: 'api', path: '/health' }],
    ['/api/ready?x=1', { to: 'api', path: '/ready?x=1' }],
    ['/api/clients?limit=5', { to: 'api', path: '/api/clients?limit=5' }],
    ['/api', { to: 'api', path: '/api' }],
    ['/apix', { to: 'web', path: '/apix' }],
    ['/wsx', { to: 'web', path: '/wsx' }],
    ['/', { to: 'web', path: '/' }],
  ])('%s', (url, route) => {
    expect(routeFor(url)).toEqual(route);
  });
});

describe('readCookie', () => {
  it('finds one cookie among several', () => {
    expect(readCookie('a=1; SERVERID=gw-2;b=3', 'SERVERID')).toBe('gw-2');
    expect(readCookie('XSERVERID=gw-2', 'SERVERID')).toBeUndefined();
    expect(readCookie(undefined, 'SERVERID')).toBeUndefined();
  });
});
