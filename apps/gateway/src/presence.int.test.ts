import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { freePort } from '@dynapharm/testkit';
import type { PresenceEvent, PresenceWatchAck, TokenClaims } from '@dynapharm/types';
import { Redis } from 'ioredis';
import type { Socket } from 'socket.io-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { presenceKeys } from './presence.ts';
import {
  allowedOrigin,
  branchA,
  branchB,
  type ClientSocket,
  type Cluster,
  closeClients,
  connect,
  eventually,
  publishToken,
  secret,
  sleep,
  startCluster,
  tokenFor,
} from './testing/cluster.ts';

/** Short lease so a dead gateway's users leave within ~2 s here (the default is 6 s). */
const ttlMs = 1_500;
/** Lease and one renewal of a surviving gateway (the promised 4/3 × TTL), plus slack for a busy CI machine. */
const leaveBoundMs = ttlMs + ttlMs / 3 + 2_000;

const raw = (socket: ClientSocket) => socket as unknown as Socket;

const user = (sub: string, branches: string[], role: TokenClaims['role'] = 'staff') =>
  tokenFor({ sub, role, branches, name: `User ${sub}` });

/** Connects `sub` (optionally as device `deviceId`) to gateway `index`. */
async function online(
  cluster: Cluster,
  index: number,
  sub: string,
  branches: string[],
  deviceId?: string,
) {
  return connect(cluster.urls[index] ?? '', {
    token: await user(sub, branches),
    ...(deviceId ? { auth: { token: await user(sub, branches), deviceId } } : {}),
  });
}

/** A socket watching presence, with every `presence` event it got. */
async function watcher(cluster: Cluster, index: number, sub: string, branches: string[]) {
  const socket = await online(cluster, index, sub, branches, `${sub}-device`);
  const events: PresenceEvent[] = [];
  socket.on('presence', (event) => events.push(event));
  const ack = await watch(socket, {});
  return { socket, events, ack };
}

const watch = (socket: ClientSocket, payload: unknown): Promise<PresenceWatchAck> =>
  raw(socket).timeout(3_000).emitWithAck('presence:watch', payload);

const userIds = (ack: PresenceWatchAck, branch = branchA) => {
  if ('error' in ack) throw new Error(ack.error.message);
  return (
    ack.snapshots
      .find((s) => s.branchId === branch)
      ?.members.map((m) => m.userId)
      .sort() ?? []
  );
};

const of = (events: PresenceEvent[], userId: string) =>
  events.filter((e) => e.member.userId === userId).map((e) => e.type);

describe('presence across three gateways', () => {
  let cluster: Cluster;

  beforeAll(async () => {
    cluster = await startCluster(3, { presenceTtlMs: ttlMs });
  });
  afterEach(closeClients);
  afterAll(async () => {
    await cluster?.close();
  });

  it('tells a branch member on another gateway who joined and who left', async () => {
    const watching = await watcher(cluster, 0, 'w1', [branchA]);
    expect(userIds(watching.ack)).toEqual(['w1']);

    const arriving = await online(cluster, 1, 'amina', [branchA], 'amina-laptop');
    await eventually(() => expect(of(watching.events, 'amina')).toEqual(['join']));
    const join = watching.events.find((e) => e.member.userId === 'amina');
    expect(join).toMatchObject({
      type: 'join',
      branchId: branchA,
      member: {
        userId: 'amina',
        name: 'User amina',
        role: 'staff',
        deviceId: 'amina-laptop',
        gateway: cluster.gateways[1]?.replicaId,
      },
    });
    expect(Date.parse(join?.member.since ?? '')).toBeGreaterThan(Date.now() - 10_000);
    expect(userIds(await watch(watching.socket, {}))).toEqual(['amina', 'w1']);

    arriving.close();
    await eventually(() => expect(of(watching.events, 'amina')).toEqual(['join', 'leave']));
    expect(userIds(await watch(watching.socket, {}))).toEqual(['w1']);
  });

  it('counts two tabs of one user and device once, on one gateway or two', async () => {
    const watching = await watcher(cluster, 0, 'w2', [branchA]);
    const tab1 = await online(cluster, 1, 'bosco', [branchA], 'bosco-phone');
    const tab2 = await online(cluster, 2, 'bosco', [branchA], 'bosco-phone');
    const tab3 = await online(cluster, 2, 'bosco', [branchA], 'bosco-phone');
    await eventually(() => expect(of(watching.events, 'bosco')).toEqual(['join']));
    const snapshot = await watch(watching.socket, {});
    expect(userIds(snapshot)).toEqual(['bosco', 'w2']);

    tab1.close();
    tab2.close();
    await sleep(ttlMs);
    expect(of(watching.events, 'bosco')).toEqual(['join']);
    expect(userIds(await watch(watching.socket, {}))).toEqual(['bosco', 'w2']);

    tab3.close();
    await eventually(() => expect(of(watching.events, 'bosco')).toEqual(['join', 'leave']));
    // Another device of the same user is another member.
    await online(cluster, 1, 'bosco', [branchA], 'bosco-laptop');
    await online(cluster, 1, 'bosco', [branchA], 'bosco-desk01');
    await eventually(() =>
      expect(of(watching.events, 'bosco')).toEqual(['join', 'leave', 'join', 'join']),
    );
  });

  it('keeps presence inside its branch', async () => {
    const inB = await watcher(cluster, 2, 'wb', [branchB]);
    const inA = await watcher(cluster, 0, 'wa', [branchA]);
    const both = await online(cluster, 1, 'both', [branchA, branchB], 'both-device');
    await online(cluster, 1, 'only-a', [branchA], 'only-a-device');
    await eventually(() => expect(of(inA.events, 'only-a')).toEqual(['join']));
    await eventually(() => expect(of(inB.events, 'both')).toEqual(['join']));
    await sleep(300);
    expect(inB.events.every((e) => e.branchId === branchB)).toBe(true);
    expect(of(inB.events, 'only-a')).toEqual([]);
    expect(of(inB.events, 'wa')).toEqual([]);
    expect(userIds(await watch(inB.socket, {}), branchB)).toEqual(['both', 'wb']);

    // A branch user may not watch another branch, alone or among its own.
    for (const payload of [{ branches: [branchA] }, { branches: [branchB, branchA] }]) {
      expect(await watch(inB.socket, payload)).toEqual({
        error: { code: 'forbidden', message: expect.stringMatching(/^branches\.\d: not one/) },
      });
    }
    both.close();
    await eventually(() => expect(of(inB.events, 'both')).toEqual(['join', 'leave']));
    expect(of(inB.events, 'only-a')).toEqual([]);

    // Admins belong to no branch and name the branches they watch.
    const admin = await connect(cluster.urls[2] ?? '', {
      token: await tokenFor({ sub: 'boss', role: 'admin' }),
    });
    expect(await watch(admin, {})).toMatchObject({ error: { code: 'bad_request' } });
    expect(userIds(await watch(admin, { branches: [branchA] }))).toContain('only-a');
    expect(userIds(await watch(inA.socket, {}))).not.toContain('boss');
  });

  it('answers hostile presence requests with an error and keeps serving', async () => {
    const socket = await online(cluster, 0, 'mallory', [branchA], 'mallory-dev');
    const cases: [unknown, RegExp][] = [
      ['x', /^\(body\): /],
      [42, /^\(body\): /],
      [[], /^\(body\): /],
      [{ branches: 'x' }, /^branches: /],
      [{ branches: [] }, /^branches: /],
      [{ branches: ['not-a-uuid'] }, /^branches\.0: /],
      [{ branches: [branchA, { $ne: 1 }] }, /^branches\.1: /],
      [{ branches: Array.from({ length: 51 }, () => branchA) }, /^branches: /],
      [{ branches: [branchA], admin: true }, /admin/],
    ];
    for (const [payload, message] of cases) {
      const answer = await watch(socket, payload);
      expect(answer, JSON.stringify(payload)).toEqual({
        error: { code: 'bad_request', message: expect.stringMatching(message) },
      });
    }
    expect(
      await raw(socket).timeout(3_000).emitWithAck('presence:unwatch', { branches: 7 }),
    ).toMatchObject({ error: { code: 'bad_request' } });
    // Without an ack, and with extra arguments: dropped, no crash.
    raw(socket).emit('presence:watch');
    raw(socket).emit('presence:watch', { branches: ['x'] }, 'extra');
    raw(socket).emit('presence:unwatch', null);
    expect(userIds(await watch(socket, { branches: [branchA.toUpperCase()] }))).toContain(
      'mallory',
    );
    expect(
      await raw(socket)
        .timeout(3_000)
        .emitWithAck('presence:unwatch', { branches: [branchA] }),
    ).toEqual({ branches: [branchA] });
    expect(socket.connected).toBe(true);

    // A device id that is not one refuses the handshake, naming the field.
    const refused = connect(cluster.urls[1] ?? '', {
      auth: { token: await user('mallory', [branchA]), deviceId: '../../etc/passwd' },
    });
    await expect(refused).rejects.toMatchObject({
      message: expect.stringMatching(/^auth\.deviceId: /),
      data: { code: 'bad_request' },
    });
    for (const deviceId of [42, { a: 1 }, 'x'.repeat(65)]) {
      await expect(
        connect(cluster.urls[1] ?? '', {
          auth: { token: await user('mallory', [branchA]), deviceId },
        }),
      ).rejects.toMatchObject({ data: { code: 'bad_request' } });
    }
  });

  it('takes the users of a gateway killed with kill -9 out of presence within the bound', async () => {
    const watching = await watcher(cluster, 0, 'w5', [branchA]);
    const doomed = await startGatewayProcess(cluster);
    try {
      const victim = await online(cluster, 0, 'victim', [branchA], 'victim-device');
      const victimTab = await connect(doomed.url, {
        auth: { token: await user('victim', [branchA]), deviceId: 'victim-device' },
      });
      await connect(doomed.url, {
        auth: { token: await user('cut-off', [branchA]), deviceId: 'cut-off-device' },
      });
      await eventually(() => expect(of(watching.events, 'cut-off')).toEqual(['join']));
      expect(of(watching.events, 'victim')).toEqual(['join']);
      const before = userIds(await watch(watching.socket, {}));
      expect(before).toEqual(['cut-off', 'victim', 'w5']);

      const killedAt = Date.now();
      doomed.process.kill('SIGKILL');
      await once(doomed.process, 'exit');
      await eventually(
        () => expect(of(watching.events, 'cut-off')).toEqual(['join', 'leave']),
        leaveBoundMs,
      );
      const tookMs = Date.now() - killedAt;
      expect(tookMs).toBeLessThan(leaveBoundMs);
      // The victim still has a tab on a live gateway: still online, no leave.
      expect(of(watching.events, 'victim')).toEqual(['join']);
      expect(userIds(await watch(watching.socket, {}))).toEqual(['victim', 'w5']);
      expect(victimTab.connected).toBe(false);

      // Nothing of the dead gateway is left in Redis.
      const redis = new Redis(cluster.redisUrl);
      try {
        const keys = presenceKeys(cluster.prefix, branchA);
        const fields = await redis.hkeys(keys.members);
        expect(fields.filter((f) => f.startsWith(`${doomed.replicaId}|`))).toEqual([]);
        expect(await redis.zscore(keys.leases, doomed.replicaId)).toBeNull();
        expect(await redis.pttl(keys.members)).toBeGreaterThan(0);
      } finally {
        redis.disconnect();
      }
      victim.close();
      await eventually(() => expect(of(watching.events, 'victim')).toEqual(['join', 'leave']));
    } finally {
      doomed.process.kill('SIGKILL');
    }
  });

  it('registers its users again when Redis lost the keys (a restart without persistence)', async () => {
    const watching = await watcher(cluster, 0, 'w8', [branchA]);
    await online(cluster, 1, 'kept', [branchA], 'kept-device');
    await eventually(() => expect(of(watching.events, 'kept')).toEqual(['join']));
    const redis = new Redis(cluster.redisUrl);
    try {
      const keys = presenceKeys(cluster.prefix, branchA);
      await redis.del(keys.members, keys.leases);
    } finally {
      redis.disconnect();
    }
    // The next renewal finds its lease gone and writes its members again.
    await eventually(
      async () => expect(userIds(await watch(watching.socket, {}))).toEqual(['kept', 'w8']),
      ttlMs,
    );
    await eventually(() => expect(of(watching.events, 'kept')).toEqual(['join', 'join']));
  });

  it('works the same on the sharded adapter (SPUBLISH)', async () => {
    const sharded = await startCluster(2, { presenceTtlMs: ttlMs, bus: { adapter: 'sharded' } });
    try {
      const watching = await watcher(sharded, 0, 'w7', [branchA]);
      const other = await online(sharded, 1, 'sharded', [branchA], 'sharded-device');
      await eventually(() => expect(of(watching.events, 'sharded')).toEqual(['join']));
      expect(userIds(await watch(watching.socket, {}))).toEqual(['sharded', 'w7']);
      other.close();
      await eventually(() => expect(of(watching.events, 'sharded')).toEqual(['join', 'leave']));
    } finally {
      await sharded.close();
    }
  });

  it('announces the leaves of a gateway that closes cleanly at once', async () => {
    const own = await startCluster(2, { presenceTtlMs: 60_000 });
    try {
      const watching = await watcher(own, 0, 'w6', [branchA]);
      await online(own, 1, 'leaving', [branchA], 'leaving-device');
      await eventually(() => expect(of(watching.events, 'leaving')).toEqual(['join']));
      await own.gateways[1]?.close();
      // Far sooner than the one-minute lease: the gateway retired its members itself.
      await eventually(() => expect(of(watching.events, 'leaving')).toEqual(['join', 'leave']));
      expect(userIds(await watch(watching.socket, {}))).toEqual(['w6']);
    } finally {
      await own.close();
    }
  });
});

const gatewayDir = fileURLToPath(new URL('..', import.meta.url));

/**
 * A gateway in a process of its own (from source, through tsx) on the
 * cluster's bus, so a test can `kill -9` it.
 */
async function startGatewayProcess(cluster: Cluster) {
  const port = await freePort();
  const replicaId = `${cluster.prefix}-doomed`;
  const child: ChildProcess = spawn(
    process.execPath,
    ['--conditions=@dynapharm/source', '--import', 'tsx', 'src/main.ts'],
    {
      cwd: gatewayDir,
      env: {
        ...process.env,
        NODE_ENV: 'test',
        PORT: String(port),
        HOST: '127.0.0.1',
        REPLICA_ID: replicaId,
        REDIS_URL: cluster.redisUrl,
        REDIS_ADAPTER: cluster.bus.adapter,
        REDIS_KEY_PREFIX: cluster.prefix,
        AUTH_JWT_SECRET: secret,
        PUBLISH_TOKEN: publishToken,
        ALLOWED_ORIGINS: allowedOrigin,
        PRESENCE_TTL_MS: String(ttlMs),
        LOG_LEVEL: 'error',
        COLLECT_DEFAULT_METRICS: 'false',
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the gateway process exited (${child.exitCode})`);
    const ok = await fetch(`${url}/health`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error('the gateway process did not become healthy');
    }
    await sleep(100);
  }
  return { url, replicaId, process: child };
}
