import { describe, expect, it } from 'vitest';
import type { OfflineQueueOptions, Timers } from './options.ts';
import { createOfflineQueue } from './queue.ts';
import { MemoryStorage } from './storage/memory-storage.ts';
import type { LockManagerLike } from './tab-lock.ts';
import { createFakeApi, type FakeApi } from './testing/fake-api.ts';

const BRANCH = '0190a0a0-0000-7000-8000-000000000001';
const CLIENT = '0190a0a0-0000-7000-8000-0000000000c1';

function setup(options: OfflineQueueOptions = {}) {
  const api = createFakeApi();
  let clock = 1_000_000;
  const storage = options.storage ?? new MemoryStorage();
  const queue = createOfflineQueue({
    apiUrl: 'http://fake.local',
    fetch: api.fetch,
    storage,
    locks: null,
    onlineEvents: null,
    syncOnQueue: false,
    now: () => clock,
    random: () => 0.5,
    ...options,
  });
  return {
    api,
    queue,
    storage,
    advance: (ms: number) => {
      clock += ms;
    },
    now: () => clock,
  };
}

function seedClient(api: FakeApi, version = 1, extra: Record<string, unknown> = {}) {
  api.seed('clients', {
    id: CLIENT,
    version,
    branchId: BRANCH,
    fullName: 'Ann',
    phone: null,
    ...extra,
  });
}

const writes = (api: FakeApi) =>
  api.requests.map((r) => `${r.method} ${r.path} ${r.headers['if-match'] ?? ''}`.trim());

describe('queueOperation', () => {
  it('gives creates a client UUIDv7 id and every operation its own idempotency key', async () => {
    const { queue } = setup();
    const op = await queue.queueOperation({
      resource: 'clients',
      action: 'create',
      data: { branchId: BRANCH, fullName: 'Bo' },
    });
    expect(op.method).toBe('POST');
    expect(op.recordId).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    expect(op.data.id).toBe(op.recordId);
    const other = await queue.queueOperation({ resource: 'clients', action: 'delete', id: CLIENT });
    expect(other.idempotencyKey).not.toBe(op.idempotencyKey);
    expect(await queue.getQueue()).toHaveLength(2);
  });

  it('refuses an update without the version the user edited, and a method that contradicts the action', async () => {
    const { queue } = setup();
    await expect(
      queue.queueOperation({
        resource: 'clients',
        action: 'update',
        id: CLIENT,
        data: { phone: '123456' },
      }),
    ).rejects.toThrow(/baseVersion/);
    await expect(
      queue.queueOperation({
        resource: 'clients',
        action: 'update',
        method: 'POST',
        id: CLIENT,
        baseVersion: 1,
      }),
    ).rejects.toThrow(/PATCH/);
    expect(await queue.getQueue()).toHaveLength(0);
  });
});

describe('syncAll', () => {
  it('replays in queue order, one request at a time, and empties the queue', async () => {
    const storage = new MemoryStorage();
    const { api, queue } = setup({ storage });
    seedClient(api);
    let inFlight = 0;
    let maxInFlight = 0;
    const inner = api.fetch;
    const created = await queue.queueOperation({
      resource: 'clients',
      action: 'create',
      data: { branchId: BRANCH, fullName: 'Bo' },
    });
    await queue.queueOperation({
      resource: 'clients',
      action: 'update',
      id: CLIENT,
      data: { phone: '555 1234' },
      baseVersion: 1,
    });
    await queue.queueOperation({
      resource: 'orders',
      action: 'create',
      data: { branchId: BRANCH, clientId: created.recordId },
    });
    const counting = createOfflineQueue({
      apiUrl: 'http://fake.local',
      storage,
      locks: null,
      onlineEvents: null,
      fetch: async (input, init) => {
        inFlight += 1;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await new Promise((resolve) => setTimeout(resolve, 5));
        try {
          return await inner(input, init);
        } finally {
          inFlight -= 1;
        }
      },
    });
    const [first, second, third] = await Promise.all([
      counting.syncAll(),
      counting.syncAll(),
      counting.syncAll(),
    ]);
    expect(second).toBe(third);
    expect(first.synced).toBe(3);
    expect(second?.attempted).toBe(0);
    expect(maxInFlight).toBe(1);
    expect(writes(api)).toEqual([
      'POST /api/clients',
      `PATCH /api/clients/${CLIENT} "1"`,
      'POST /api/orders',
    ]);
    expect(first.stats).toMatchObject({ total: 0, pending: 0, lastSyncAt: expect.any(Number) });
  });

  it('keeps operations while offline, backs off with bounded jitter, and reuses the idempotency key', async () => {
    const { api, queue, advance } = setup({ backoff: { initialDelayMs: 1000, maxDelayMs: 8000 } });
    api.setBehaviour(() => 'offline');
    const op = await queue.queueOperation({
      resource: 'clients',
      action: 'create',
      data: { branchId: BRANCH, fullName: 'Bo' },
    });
    const delays: number[] = [];
    for (let i = 0; i < 6; i++) {
      const summary = await queue.syncAll();
      expect(summary).toMatchObject({ attempted: 1, synced: 0, retryScheduled: true });
      const [stored] = await queue.getQueue();
      delays.push((stored?.nextAttemptAt ?? 0) - 1_000_000 - i);
      expect(stored).toMatchObject({
        status: 'pending',
        attempts: i + 1,
        lastError: { code: 'network_error' },
      });
      advance(1);
    }
    // random() = 0.5: three quarters of 1 s, 2 s, 4 s, then capped at 8 s.
    expect(delays).toEqual([750, 1500, 3000, 6000, 6000, 6000]);
    api.setBehaviour(() => 'serve');
    expect((await queue.syncAll()).synced).toBe(1);
    const keys = new Set(api.requests.map((r) => r.headers['idempotency-key']));
    expect(keys).toEqual(new Set([op.idempotencyKey]));
    expect(api.effects).toHaveLength(1);
  });

  it('applies a write once when the server committed but the answer was lost', async () => {
    const { api, queue } = setup();
    seedClient(api);
    await queue.queueOperation({
      resource: 'clients',
      action: 'update',
      id: CLIENT,
      data: { phone: '555 1234' },
      baseVersion: 1,
    });
    api.setBehaviour(() => 'lose-response');
    expect((await queue.syncAll()).retryScheduled).toBe(true);
    api.setBehaviour(() => 'serve');
    expect((await queue.syncAll()).synced).toBe(1);
    expect(api.effects).toHaveLength(1);
    expect(api.rows.get(`clients/${CLIENT}`)?.version).toBe(2);
    expect(await queue.getQueue()).toHaveLength(0);
  });

  it('waits out Retry-After on 409 idempotency_in_progress and 5xx, and gives up after maxAttempts', async () => {
    const { api, queue } = setup({
      backoff: { initialDelayMs: 100, maxDelayMs: 1000, maxAttempts: 3 },
    });
    api.setBehaviour(() => ({
      status: 409,
      code: 'idempotency_in_progress',
      headers: { 'retry-after': '5' },
    }));
    await queue.queueOperation({ resource: 'clients', action: 'delete', id: CLIENT });
    await queue.syncAll();
    const [waiting] = await queue.getQueue();
    expect((waiting?.nextAttemptAt ?? 0) - 1_000_000).toBe(5000);
    api.setBehaviour(() => ({ status: 503, code: 'unavailable' }));
    await queue.syncAll();
    const summary = await queue.syncAll();
    expect(summary.rejected).toBe(1);
    const [gaveUp] = await queue.getQueue();
    expect(gaveUp).toMatchObject({
      status: 'rejected',
      serverErrors: 3,
      lastError: { status: 503 },
    });
  });

  it('sets a 4xx aside without blocking other records; later operations on that record wait', async () => {
    const { api, queue } = setup();
    seedClient(api);
    api.setBehaviour((req) =>
      req.method === 'POST' && req.path === '/api/clients'
        ? { status: 400, code: 'validation_failed' }
        : 'serve',
    );
    const bad = await queue.queueOperation({
      resource: 'clients',
      action: 'create',
      data: { branchId: BRANCH },
    });
    const chained = await queue.queueOperation({
      resource: 'clients',
      action: 'update',
      id: bad.recordId,
      data: { fullName: 'X' },
    });
    await queue.queueOperation({
      resource: 'clients',
      action: 'update',
      id: CLIENT,
      data: { phone: '555 1234' },
      baseVersion: 1,
    });
    const summary = await queue.syncAll();
    expect(summary).toMatchObject({
      rejected: 1,
      synced: 1,
      stats: { total: 2, failed: 1, pending: 1 },
    });
    const ops = await queue.getQueue();
    expect(ops.find((op) => op.opId === bad.opId)).toMatchObject({
      status: 'rejected',
      lastError: { status: 400, code: 'validation_failed' },
    });
    expect(ops.find((op) => op.opId === chained.opId)?.status).toBe('pending');
    expect(api.requests.some((r) => r.path.endsWith(bad.recordId))).toBe(false);

    // Fixed and retried: a new key (the server remembers its 400), then the chain follows.
    api.setBehaviour(() => 'serve');
    const retried = await queue.retry(bad.opId, { data: { branchId: BRANCH, fullName: 'Bo' } });
    expect(retried.idempotencyKey).not.toBe(bad.idempotencyKey);
    expect((await queue.syncAll()).synced).toBe(2);
    expect(api.rows.get(`clients/${bad.recordId}`)).toMatchObject({ fullName: 'X', version: 2 });
  });

  it('discarding a rejected create drops the operations chained behind it', async () => {
    const { api, queue } = setup();
    api.setBehaviour(() => ({ status: 403, code: 'forbidden' }));
    const create = await queue.queueOperation({
      resource: 'clients',
      action: 'create',
      data: { branchId: BRANCH, fullName: 'Bo' },
    });
    const update = await queue.queueOperation({
      resource: 'clients',
      action: 'update',
      id: create.recordId,
      data: { fullName: 'B' },
    });
    await queue.syncAll();
    expect(await queue.discard(create.opId)).toEqual([create.opId, update.opId]);
    expect(await queue.getQueue()).toEqual([]);
  });
});

describe('create → update chaining', () => {
  it('sends edits of a record created offline with the versions the create and each edit produced', async () => {
    const { api, queue } = setup();
    api.setBehaviour(() => 'offline');
    const create = await queue.queueOperation({
      resource: 'clients',
      action: 'create',
      data: { branchId: BRANCH, fullName: 'Bo' },
    });
    const first = await queue.queueOperation({
      resource: 'clients',
      action: 'update',
      id: create.recordId,
      data: { phone: '555 1234' },
    });
    const second = await queue.queueOperation({
      resource: 'clients',
      action: 'delete',
      id: create.recordId,
      baseVersion: 7,
    });
    expect(first).toMatchObject({ after: create.opId, baseVersion: undefined });
    expect(second).toMatchObject({ after: first.opId, baseVersion: undefined });
    await queue.syncAll();
    api.setBehaviour(() => 'serve');
    expect((await queue.syncAll()).synced).toBe(3);
    expect(writes(api).slice(-3)).toEqual([
      'POST /api/clients',
      `PATCH /api/clients/${create.recordId} "1"`,
      `DELETE /api/clients/${create.recordId} "2"`,
    ]);
    expect(api.rows.get(`clients/${create.recordId}`)).toMatchObject({
      version: 3,
      phone: '555 1234',
      deletedAt: 'now',
    });
  });
});

describe('conflicts', () => {
  async function conflicted() {
    const ctx = setup();
    seedClient(ctx.api, 2, { fullName: 'Ann (theirs)', phone: '999 0000' });
    const mine = await ctx.queue.queueOperation({
      resource: 'clients',
      action: 'update',
      id: CLIENT,
      data: { fullName: 'Ann (mine)', phone: '555 1234' },
      baseVersion: 1,
    });
    const unrelated = await ctx.queue.queueOperation({
      resource: 'clients',
      action: 'create',
      data: { branchId: BRANCH, fullName: 'Cy' },
    });
    const summary = await ctx.queue.syncAll();
    return { ...ctx, mine, unrelated, summary };
  }

  it('keeps both versions and does not hold back unrelated operations', async () => {
    const { queue, mine, summary, api } = await conflicted();
    expect(summary).toMatchObject({ conflicts: 1, synced: 1, stats: { conflicts: 1, total: 1 } });
    const [op] = await queue.getQueue();
    expect(op).toMatchObject({
      opId: mine.opId,
      status: 'conflict',
      conflict: {
        mine: { data: { fullName: 'Ann (mine)', phone: '555 1234' }, baseVersion: 1 },
        theirs: { id: CLIENT, version: 2, fullName: 'Ann (theirs)' },
      },
    });
    expect(api.rows.get(`clients/${CLIENT}`)?.fullName).toBe('Ann (theirs)');
  });

  it("'mine' sends my patch again on top of the server's version with a new key", async () => {
    const { queue, mine, api } = await conflicted();
    const { operation } = await queue.resolveConflict(mine.opId, { strategy: 'mine' });
    expect(operation).toMatchObject({ status: 'pending', baseVersion: 2 });
    expect(operation?.idempotencyKey).not.toBe(mine.idempotencyKey);
    expect((await queue.syncAll()).synced).toBe(1);
    expect(api.rows.get(`clients/${CLIENT}`)).toMatchObject({
      version: 3,
      fullName: 'Ann (mine)',
      phone: '555 1234',
    });
  });

  it("'theirs' drops my change; a later edit of the record must still prove its version", async () => {
    const { queue, mine, api } = await conflicted();
    const later = await queue.queueOperation({
      resource: 'clients',
      action: 'update',
      id: CLIENT,
      data: { notes: 'x' },
    });
    await queue.syncAll();
    expect((await queue.getQueue()).find((op) => op.opId === later.opId)?.status).toBe('pending');
    expect(await queue.resolveConflict(mine.opId, { strategy: 'theirs' })).toEqual({
      removed: [mine.opId],
      operation: undefined,
    });
    await queue.syncAll();
    const [op] = await queue.getQueue();
    expect(op).toMatchObject({
      opId: later.opId,
      status: 'conflict',
      conflict: { mine: { baseVersion: 1 } },
    });
    expect(api.rows.get(`clients/${CLIENT}`)?.version).toBe(2);
  });

  it("'merge' sends only the fields chosen as mine", async () => {
    const { queue, mine, api } = await conflicted();
    await queue.resolveConflict(mine.opId, {
      strategy: 'merge',
      fields: { phone: 'mine', fullName: 'theirs' },
    });
    await queue.syncAll();
    expect(api.requests.at(-1)?.body).toEqual({ phone: '555 1234' });
    expect(api.rows.get(`clients/${CLIENT}`)).toMatchObject({
      version: 3,
      fullName: 'Ann (theirs)',
      phone: '555 1234',
    });
  });

  it('treats a conflict whose server row already holds my change as landed', async () => {
    const { api, queue } = setup();
    seedClient(api, 4, { phone: '555 1234' });
    await queue.queueOperation({
      resource: 'clients',
      action: 'update',
      id: CLIENT,
      data: { phone: '555 1234' },
      baseVersion: 3,
    });
    expect(await queue.syncAll()).toMatchObject({ synced: 1, conflicts: 0 });
  });
});

describe('one tab replays at a time', () => {
  it('skips while another tab holds the storage lease, and takes over when it expires', async () => {
    const { api, queue, storage, advance, now } = setup({ leaseTtlMs: 10_000 });
    await queue.queueOperation({
      resource: 'clients',
      action: 'create',
      data: { branchId: BRANCH, fullName: 'Bo' },
    });
    expect(await storage.acquireLease('other-tab', 10_000, now())).toBe(true);
    expect(await queue.syncAll()).toMatchObject({ skipped: 'locked', attempted: 0 });
    expect(api.requests).toHaveLength(0);
    advance(10_001);
    expect((await queue.syncAll()).synced).toBe(1);
    // The lease is released after the pass.
    expect(await storage.acquireLease('other-tab', 10_000, now())).toBe(true);
  });

  it('uses Web Locks with ifAvailable when the browser has them', async () => {
    const held = new Set<string>();
    const requests: unknown[] = [];
    const locks: LockManagerLike = {
      async request(name, options, callback) {
        requests.push({ name, options });
        if (held.has(name)) return callback(null);
        held.add(name);
        try {
          return await callback({ name });
        } finally {
          held.delete(name);
        }
      },
    };
    const { queue } = setup({ locks });
    held.add('dynapharm-offline-sync');
    expect((await queue.syncAll()).skipped).toBe('locked');
    held.clear();
    expect((await queue.syncAll()).skipped).toBeUndefined();
    expect(requests[0]).toEqual({ name: 'dynapharm-offline-sync', options: { ifAvailable: true } });
  });
});

describe('automatic replays', () => {
  function manualTimers() {
    const pending = new Map<number, { fn: () => void; ms: number }>();
    let next = 0;
    const timers: Timers = {
      setTimeout(fn, ms) {
        next += 1;
        pending.set(next, { fn, ms });
        return next;
      },
      clearTimeout(handle) {
        pending.delete(handle as number);
      },
    };
    return { timers, pending };
  }

  it('replays on the online event, schedules the backoff retry, and reports changes', async () => {
    const online = new EventTarget();
    const { timers, pending } = manualTimers();
    const { api, queue, advance } = setup({
      onlineEvents: online as never,
      timers,
      syncOnQueue: true,
      backoff: { initialDelayMs: 1000 },
    });
    const seen: number[] = [];
    queue.subscribe((stats) => seen.push(stats.total));
    api.setBehaviour(() => 'offline');
    queue.start();
    await queue.queueOperation({
      resource: 'clients',
      action: 'create',
      data: { branchId: BRANCH, fullName: 'Bo' },
    });
    await vitestFlush();
    expect(api.requests).toHaveLength(1);
    expect([...pending.values()].map((t) => t.ms)).toEqual([750]);

    api.setBehaviour(() => 'serve');
    online.dispatchEvent(new Event('online'));
    await vitestFlush();
    expect(api.effects).toHaveLength(1);
    expect(seen.at(-1)).toBe(0);

    // The retry timer that is still armed finds nothing to do.
    advance(1000);
    for (const { fn } of pending.values()) fn();
    await vitestFlush();
    expect(api.requests).toHaveLength(2);
    await queue.close();
  });

  it('replays when an attached trigger fires (e.g. the realtime client reconnects)', async () => {
    const { api, queue } = setup();
    let fire = () => {};
    queue.attachTrigger((f) => {
      fire = f;
      return () => {
        fire = () => {};
      };
    });
    await queue.queueOperation({
      resource: 'clients',
      action: 'create',
      data: { branchId: BRANCH, fullName: 'Bo' },
    });
    fire();
    await vitestFlush();
    expect(api.effects).toHaveLength(1);
    await queue.close();
  });
});

async function vitestFlush() {
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setTimeout(resolve, 0));
}
