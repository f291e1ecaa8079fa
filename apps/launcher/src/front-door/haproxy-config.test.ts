import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findExecutable } from '../process/net.ts';
import { haproxyConfig } from './haproxy-config.ts';

const options = {
  frontDoorPort: 8080,
  api: { host: '127.0.0.1', port: 3000 },
  web: { host: '127.0.0.1', port: 8078 },
  gateways: [1, 2, 3].map((n) => ({ name: `gw-${n}`, host: '127.0.0.1', port: 8080 + n })),
  statsPort: 8404,
};

describe('haproxyConfig', () => {
  const config = haproxyConfig(options);

  it('lists one sticky, health-checked server per gateway', () => {
    expect(config).toContain('cookie SERVERID insert indirect nocache');
    for (const n of [1, 2, 3]) {
      expect(config).toContain(`server gw-${n} 127.0.0.1:${8080 + n} cookie gw-${n} check`);
    }
    expect(config).toContain('option httpchk GET /health');
    expect(config).toContain('option redispatch');
  });

  it('checks gateways every 2 s by default, or as often as asked', () => {
    expect(config).toContain('default-server inter 2000ms fall 2 rise 1');
    const fast = haproxyConfig({ ...options, gatewayCheck: { interMs: 500, fall: 2, rise: 2 } });
    expect(fast).toContain('default-server inter 500ms fall 2 rise 2');
    expect(fast).not.toContain('inter 2000ms');
  });

  it('routes /api, /ws and /ws-stats, and keeps WebSockets open', () => {
    expect(config).toContain('bind 0.0.0.0:8080');
    expect(config).toContain('acl is_api path_beg /api/');
    expect(config).toContain('acl is_ws path_beg /ws/');
    expect(config).toContain('http-request set-path /stats if { path /ws-stats }');
    expect(config).toContain('acl is_admin_ui path_beg /admin-ui/');
    expect(config).toContain(
      'use_backend gateways if is_ws || is_ws_stats || is_ws_devices || is_admin_ui',
    );
    expect(config).toContain('http-request set-path /health if { path /api/health }');
    expect(config).toContain('timeout tunnel 1h');
    expect(config).toContain('timeout client-fin');
    expect(config).toContain('bind 127.0.0.1:8404');
  });

  it('leaves the stats page out when its port is 0', () => {
    expect(haproxyConfig({ ...options, statsPort: 0 })).not.toContain('frontend stats');
  });

  // Catches syntax HAProxy would refuse at reload time, when it is installed.
  const haproxy = findExecutable('haproxy', process.env.PATH ?? '');
  it.skipIf(!haproxy)('is accepted by haproxy -c, as is infra/haproxy/haproxy.cfg', () => {
    const dir = mkdtempSync(join(tmpdir(), 'launcher-haproxy-'));
    const file = join(dir, 'haproxy.cfg');
    writeFileSync(file, config);
    execFileSync(haproxy ?? 'haproxy', ['-c', '-q', '-f', file]);
    const compose = new URL('../../../../infra/haproxy/haproxy.cfg', import.meta.url);
    expect(readFileSync(compose, 'utf8')).toContain('server-template gw 1-20 gateway:8081');
    execFileSync(haproxy ?? 'haproxy', ['-c', '-q', '-f', compose.pathname]);
  });
});
