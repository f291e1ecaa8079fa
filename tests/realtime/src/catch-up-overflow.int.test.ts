import { RealtimeClient } from '@dynapharm/realtime-client';
import type { ChangeEvent } from '@dynapharm/types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, eventually, publishedChanges, type System, startSystem } from './system.ts';

let system: System;

beforeAll(async () => {
  system = await startSystem({ gateways: 1 });
});
afterAll(async () => {
  await system?.close();
});

describe('catch-up buffer overflow', () => {
  it('drops the buffered live events but skips none of them', async () => {
    const { api, cluster } = system;
    const branch = api.branches[0]?.id ?? '';
    const admin = await api.token('admin', [], 'overflow-admin');
    // Start from a quiet stream: the seed's changes numbered and published.
    for (let i = 0; i < 200; i++) {
      const { rows } = await api.api.pool.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM sync_log WHERE "offset" IS NULL OR published_at IS NULL',
      );
      if (rows[0]?.n === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const head0 = (await publishedChanges(api)).at(-1)?.offset ?? 0;

    // The first catch-up answer is held back while live events pile up.
    let release = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let held = false;
    const heldFetch: typeof fetch = async (input, init) => {
      const res = await fetch(input, init);
      if (!held) {
        held = true;
        await gate;
      }
      return res;
    };
    const rt = new RealtimeClient({
      wsUrl: cluster.urls[0] ?? '',
      apiUrl: api.url,
      token: await api.token('staff', [branch], 'overflow-staff'),
      transports: ['websocket'],
      catchUpIntervalMs: 0,
      fetch: heldFetch,
      maxBufferedEvents: 3,
    });
    const received: ChangeEvent[] = [];
    rt.on('*', (_data, event) => {
      if ('offset' in event) received.push(event);
    });
    try {
      await rt.subscribe(['clients']);
      const connected = rt.connect();
      await eventually(() => held, 'the first catch-up to be answered');

      for (let i = 0; i < 10; i++) await createClient(api, admin, branch, `overflow ${i}`);
      // A write is answered before the relay numbers it: wait for all ten offsets.
      let written: number[] = [];
      for (let i = 0; i < 100 && written.length < 10; i++) {
        if (i > 0) await new Promise((resolve) => setTimeout(resolve, 50));
        written = (await publishedChanges(api, `"offset" > ${head0}`)).map((c) => c.offset);
      }
      expect(written).toHaveLength(10);
      // Let the live events reach the client's buffer (and overflow it).
      await new Promise((resolve) => setTimeout(resolve, 500));
      release();
      await connected;

      await eventually(
        () => received.length >= 10,
        () => `all 10 changes, got offsets ${received.map((e) => e.offset).join(',')}`,
        5_000,
      );
      expect(received.map((e) => e.offset)).toEqual(written);
    } finally {
      release();
      rt.disconnect();
    }
  });
});
