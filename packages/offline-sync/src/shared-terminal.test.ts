import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { createOfflineQueue } from './queue.ts';
import { deleteUserQueue } from './storage/indexeddb-storage.ts';

const BRANCH = '0190a0a0-0000-7000-8000-000000000001';

/** An unsigned JWT-shaped token naming `sub` (the queue reads `sub`, the server verifies). */
function tokenOf(sub: string) {
  const part = (value: object) => btoa(JSON.stringify(value)).replace(/=+$/, '');
  return `${part({ alg: 'HS256' })}.${part({ sub, role: 'staff', branches: [BRANCH] })}.sig`;
}

/** One terminal: whoever is signed in, and every request that left it with its token. */
function terminal() {
  const sent: { url: string; authorization: string | null; body: string }[] = [];
  let online = false;
  const state = { signedIn: 'alice' as string | undefined };
  const fetchImpl: typeof fetch = async (input, init) => {
    if (!online) throw new TypeError('Failed to fetch');
    sent.push({
      url: String(input),
      authorization: new Headers(init?.headers).get('authorization'),
      body: String(init?.body ?? ''),
    });
    return new Response(JSON.stringify({ id: 'x', version: 1 }), { status: 201 });
  };
  const queueOf = (userId: string) =>
    createOfflineQueue({
      apiUrl: 'http://fake.local',
      fetch: fetchImpl,
      userId,
      token: () => (state.signedIn ? tokenOf(state.signedIn) : null),
      locks: null,
      onlineEvents: null,
      broadcastChannel: null,
      syncOnQueue: false,
    });
  return {
    sent,
    state,
    queueOf,
    goOnline: () => {
      online = true;
    },
  };
}

describe('a shared terminal', () => {
  it("never sends one user's queued writes with another user's token", async () => {
    const t = terminal();
    const alice = t.queueOf('alice');
    await alice.queueOperation({
      resource: 'clients',
      action: 'create',
      data: { branchId: BRANCH, fullName: 'Alice’s customer' },
    });
    await alice.close();

    // Bob signs in on the same terminal, which is now online.
    t.state.signedIn = 'bob';
    t.goOnline();
    const bob = t.queueOf('bob');
    expect(await bob.getQueue()).toEqual([]);
    await bob.syncAll();
    // Alice's queue, still open in some tab, holds its operation while Bob is signed in.
    const aliceAgain = t.queueOf('alice');
    await aliceAgain.syncAll();
    expect(t.sent).toEqual([]);
    expect(await aliceAgain.getQueue()).toHaveLength(1);

    // Back with Alice: her write goes out with her token.
    t.state.signedIn = 'alice';
    await aliceAgain.syncAll();
    expect(t.sent).toHaveLength(1);
    expect(t.sent[0]?.authorization).toBe(`Bearer ${tokenOf('alice')}`);
    expect(t.sent[0]?.body).toContain('Alice’s customer');
    await Promise.all([bob.close(), aliceAgain.close()]);
  });

  it("deletes a user's queued data when they sign out", async () => {
    const t = terminal();
    t.state.signedIn = 'carol';
    const carol = t.queueOf('carol');
    await carol.queueOperation({
      resource: 'clients',
      action: 'create',
      data: { branchId: BRANCH, fullName: 'Carol’s customer' },
    });
    const dave = t.queueOf('dave');
    await dave.queueOperation({
      resource: 'clients',
      action: 'create',
      data: { branchId: BRANCH, fullName: 'Dave’s customer' },
    });
    await dave.close();

    await carol.close();
    await deleteUserQueue('carol');

    const names = (await indexedDB.databases()).map((d) => d.name);
    expect(names).not.toContain('dynapharm-offline:carol');
    const reopened = t.queueOf('carol');
    expect(await reopened.getQueue()).toEqual([]);
    const daveAgain = t.queueOf('dave');
    expect(await daveAgain.getQueue()).toHaveLength(1);
    await Promise.all([reopened.close(), daveAgain.close()]);
  });
});
