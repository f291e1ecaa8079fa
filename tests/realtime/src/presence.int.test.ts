import { type PresenceUpdate, RealtimeClient } from '@dynapharm/realtime-client';
import type { Role } from '@dynapharm/types';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually, type System, startSystem } from './system.ts';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn().catch(() => {});
});

/** A realtime client of user `sub` on device `deviceId`, recording its presence updates. */
async function member(
  sys: System,
  role: Role,
  branches: string[],
  sub: string,
  deviceId: string,
  gateways: number[],
) {
  const rt = new RealtimeClient({
    wsUrl: gateways.map((i) => sys.cluster.urls[i] ?? ''),
    apiUrl: sys.api.url,
    token: await sys.api.token(role, branches, sub),
    deviceId,
    reconnectDelayMs: { min: 100, max: 500 },
    transports: ['websocket'],
    catchUpIntervalMs: 0,
  });
  const updates: PresenceUpdate[] = [];
  rt.on('presence', (update) => updates.push(update));
  cleanups.push(async () => rt.disconnect());
  await rt.connect();
  /** Users online in `branch` as this client knows them. */
  const online = (branch: string) => rt.presence(branch).map((m) => m.userId);
  /** join/leave updates about `userId`. */
  const seen = (userId: string) =>
    updates.flatMap((u) => (u.type !== 'snapshot' && u.member.userId === userId ? [u.type] : []));
  return { rt, updates, online, seen };
}

const same = (a: string[], b: string[]) => [...a].sort().join() === [...b].sort().join();

describe('presence through the realtime client', () => {
  it('follows joins and leaves of a branch across gateways, counts tabs once, keeps branches apart and refreshes after a reconnect', async () => {
    const sys = await startSystem({ gateways: 3 });
    cleanups.push(() => sys.close());
    const [x, y] = sys.api.branches.map((b) => b.id);
    if (!x || !y) throw new Error('the seed has fewer than two branches');

    const amina = await member(sys, 'staff', [x], 'amina', 'amina-device', [0, 1]);
    expect((await amina.rt.watchPresence()).map((s) => s.branchId)).toEqual([x]);
    expect(amina.online(x)).toEqual(['amina']);
    expect(amina.updates[0]).toMatchObject({ type: 'snapshot', branchId: x });

    const yusuf = await member(sys, 'staff', [y], 'yusuf', 'yusuf-device', [2]);
    await yusuf.rt.watchPresence();
    await expect(yusuf.rt.watchPresence([x])).rejects.toThrow(/not one of your branches/);

    // Two tabs of one manager on one device, on two other gateways.
    const tab1 = await member(sys, 'manager', [x], 'bakari', 'bakari-device', [1]);
    const tab2 = await member(sys, 'manager', [x], 'bakari', 'bakari-device', [2]);
    await eventually(() => same(amina.online(x), ['amina', 'bakari']), 'bakari in amina’s list');
    expect(amina.seen('bakari')).toEqual(['join']);
    const [first] = amina.rt.presence(x).filter((m) => m.userId === 'bakari');
    expect(first).toMatchObject({ role: 'manager', deviceId: 'bakari-device' });

    tab1.rt.disconnect();
    await new Promise((r) => setTimeout(r, 500));
    expect(amina.seen('bakari')).toEqual(['join']);
    tab2.rt.disconnect();
    await eventually(() => same(amina.online(x), ['amina']), 'bakari gone from amina’s list');
    expect(amina.seen('bakari')).toEqual(['join', 'leave']);

    // Branch Y never heard of branch X.
    expect(yusuf.online(y)).toEqual(['yusuf']);
    expect(yusuf.updates.every((u) => u.branchId === y)).toBe(true);
    expect(yusuf.online(x)).toEqual([]);

    // Amina's gateway goes away: she reconnects to the other one and gets a fresh list.
    const zawadi = await member(sys, 'staff', [x], 'zawadi', 'zawadi-device', [2]);
    await zawadi.rt.watchPresence();
    await eventually(() => same(amina.online(x), ['amina', 'zawadi']), 'zawadi in the list');
    const snapshotsBefore = amina.updates.filter((u) => u.type === 'snapshot').length;
    const gone = sys.cluster.gateways[0];
    gone?.io.disconnectSockets(true);
    await gone?.close();
    await eventually(
      () => amina.updates.filter((u) => u.type === 'snapshot').length > snapshotsBefore,
      'a snapshot after the reconnect',
    );
    expect(amina.rt.replicaId).toBe(sys.cluster.gateways[1]?.replicaId);
    // The snapshot can be taken before her join on the new gateway is stored;
    // the join event that follows completes the list.
    await eventually(() => same(amina.online(x), ['amina', 'zawadi']), 'amina back in her list');
    await eventually(() => same(zawadi.online(x), ['amina', 'zawadi']), 'amina back for zawadi');

    await amina.rt.unwatchPresence();
    expect(amina.online(x)).toEqual([]);
  }, 60_000);
});
