import type { ChangeHandler } from '@dynapharm/realtime-client';
import type { ChangeEvent, ResourceName } from '@dynapharm/types';
import type { ReplicaClient } from '../replica.ts';

export const BRANCH_A = '0190a0a0-0000-7000-8000-00000000000a';
export const BRANCH_B = '0190a0a0-0000-7000-8000-00000000000b';
export const EPOCH_1 = '0190a0a0-0000-7000-8000-0000000000e1';
export const EPOCH_2 = '0190a0a0-0000-7000-8000-0000000000e2';

let seq = 0;
export const uuid = () => `0190a0a0-0000-7000-8000-${(++seq).toString(16).padStart(12, '0')}`;

export function client(branchId: string, fullName: string, version = 1, id = uuid()) {
  return {
    id,
    branchId,
    fullName,
    email: null,
    phone: null,
    address: '',
    notes: '',
    version,
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: `2026-01-01T00:00:${String(version).padStart(2, '0')}.000Z`,
    lastSyncedAt: null,
    deletedAt: null,
  };
}

export interface FakeServer {
  epoch: string;
  offset: number;
  rows: { resource: ResourceName; record: Record<string, unknown> }[];
  /** Snapshot requests answered so far. */
  requests: URL[];
  offline: boolean;
  fetch: typeof fetch;
}

/** `GET /api/snapshot` over an in-memory row set, two rows a page. */
export function fakeServer(rows: FakeServer['rows'] = []): FakeServer {
  const server: FakeServer = {
    epoch: EPOCH_1,
    offset: 0,
    rows,
    requests: [],
    offline: false,
    fetch: async (input) => {
      const url = new URL(String(input));
      server.requests.push(url);
      if (server.offline) throw new TypeError('Failed to fetch');
      const start = Number(url.searchParams.get('cursor') ?? '0');
      const limit = Number(url.searchParams.get('limit') ?? '2');
      const items = server.rows.slice(start, start + limit);
      const next = start + limit < server.rows.length ? String(start + limit) : null;
      return new Response(
        JSON.stringify({ epoch: server.epoch, offset: server.offset, items, nextCursor: next }),
        { status: 200, headers: { 'content-type': 'application/json' } },
      );
    },
  };
  return server;
}

/** A RealtimeClient stand-in the test drives by hand. */
export class FakeClient implements ReplicaClient {
  lastOffset: number;
  epoch: string | undefined;
  isConnected = false;
  subscribed: string[] = [];
  private handlers = new Set<ChangeHandler>();
  private connects = new Set<(info: { replicaId?: string }) => void>();
  private disconnects = new Set<(reason: string) => void>();
  private resyncs = new Set<(head: number) => void>();

  constructor(readonly options: { initialOffset?: number; initialEpoch?: string }) {
    this.lastOffset = options.initialOffset ?? 0;
    this.epoch = options.initialEpoch;
  }
  on(_event: '*', handler: ChangeHandler) {
    this.handlers.add(handler);
  }
  off(_event: '*', handler: ChangeHandler) {
    this.handlers.delete(handler);
  }
  onConnect(h: (info: { replicaId?: string }) => void) {
    this.connects.add(h);
    return () => this.connects.delete(h);
  }
  onDisconnect(h: (reason: string) => void) {
    this.disconnects.add(h);
    return () => this.disconnects.delete(h);
  }
  onResync(h: (head: number) => void) {
    this.resyncs.add(h);
    return () => this.resyncs.delete(h);
  }
  async subscribe(channels: string[]) {
    this.subscribed.push(...channels);
  }
  async connect() {
    this.isConnected = true;
    for (const h of this.connects) h({});
  }
  disconnect() {
    this.isConnected = false;
  }
  /** Delivers a change as the real client would (offset order is the test's job). */
  deliver(event: ChangeEvent) {
    if (event.offset <= this.lastOffset) return;
    this.lastOffset = event.offset;
    for (const h of this.handlers) h(event.data, event);
  }
  resync(epoch: string, head: number) {
    this.epoch = epoch;
    this.lastOffset = head;
    for (const h of this.resyncs) h(head);
  }
}

export function change(
  record: ReturnType<typeof client>,
  offset: number,
  action: ChangeEvent['action'] = 'updated',
  epoch = EPOCH_1,
): ChangeEvent {
  return {
    resource: 'clients',
    action,
    id: record.id,
    branchId: record.branchId,
    version: record.version,
    offset,
    epoch,
    at: '2026-01-01T00:00:00.000Z',
    data: action === 'deleted' ? { ...record, deletedAt: '2026-01-02T00:00:00.000Z' } : record,
  };
}
