import { describe, expect, it } from 'vitest';
import { isLoopback, readCookie, routeFor } from './routes.ts';

describe('routeFor', () => {
  it.each([
    ['/ws/?EIO=4&transport=polling', { to: 'gateway', path: '/ws/?EIO=4&transport=polling' }],
    ['/ws', { to: 'gateway', path: '/ws' }],
    ['/ws-stats', { to: 'gateway-stats', path: '/stats' }],
    ['/admin-ui', { to: 'gateway', path: '/admin-ui' }],
    ['/admin-ui/js/app.0d7d7845.js', { to: 'gateway', path: '/admin-ui/js/app.0d7d7845.js' }],
    ['/admin-uix', { to: 'web', path: '/admin-uix' }],
    ['/admin-ui/../metrics', { to: 'reject', path: '/admin-ui/../metrics' }],
    ['/api/health', { to: 'api', path: '/health' }],
    ['/api/ready?x=1', { to: 'api', path: '/ready?x=1' }],
    ['/api/clients?limit=5', { to: 'api', path: '/api/clients?limit=5' }],
    ['/api', { to: 'api', path: '/api' }],
    ['/apix', { to: 'web', path: '/apix' }],
    ['/wsx', { to: 'web', path: '/wsx' }],
    ['/', { to: 'web', path: '/' }],
    ['/api/../metrics', { to: 'reject', path: '/api/../metrics' }],
    ['/api/%2E%2e/metrics?x=1', { to: 'reject', path: '/api/%2E%2e/metrics?x=1' }],
    ['/ws/./stats', { to: 'reject', path: '/ws/./stats' }],
    ['/api%2Fmetrics', { to: 'reject', path: '/api%2Fmetrics' }],
    ['/api\\..\\metrics', { to: 'reject', path: '/api\\..\\metrics' }],
    ['/api/orders?status=%00', { to: 'reject', path: '/api/orders?status=%00' }],
    ['/assets/app..js', { to: 'web', path: '/assets/app..js' }],
  ])('%s', (url, route) => {
    expect(routeFor(url)).toEqual(route);
  });
});

describe('isLoopback', () => {
  it('knows the machine itself from everyone else', () => {
    for (const a of ['127.0.0.1', '127.8.9.10', '::1', '::ffff:127.0.0.1']) {
      expect(isLoopback(a)).toBe(true);
    }
    for (const a of ['10.0.0.7', '::ffff:10.0.0.7', '1127.0.0.1', 'fe80::1', undefined]) {
      expect(isLoopback(a)).toBe(false);
    }
  });
});

describe('readCookie', () => {
  it('finds one cookie among several', () => {
    expect(readCookie('a=1; SERVERID=gw-2;b=3', 'SERVERID')).toBe('gw-2');
    expect(readCookie('XSERVERID=gw-2', 'SERVERID')).toBeUndefined();
    expect(readCookie(undefined, 'SERVERID')).toBeUndefined();
  });
});
