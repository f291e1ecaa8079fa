import type { QueuedOperation } from '../types.ts';
import { bySeq, LEASE_KEY, type Lease, leaseAfterAcquire, type QueueStorage } from './storage.ts';

/**
 * Keeps the queue in memory: for Node services and tests. Nothing survives a
 * restart. Share one instance between queues to simulate tabs.
 */
export class MemoryStorage implements QueueStorage {
  private readonly ops = new Map<string, QueuedOperation>();
  private readonly meta = new Map<string, unknown>();

  async load() {
    return [...this.ops.values()].map((op) => structuredClone(op)).sort(bySeq);
  }

  async mutate<T>(
    fn: (ops: QueuedOperation[]) => { put?: QueuedOperation[]; remove?: string[]; result: T },
  ) {
    const { put = [], remove = [], result } = fn(await this.load());
    for (const id of remove) this.ops.delete(id);
    for (const op of put) this.ops.set(op.opId, structuredClone(op));
    return result;
  }

  async getMeta<T>(key: string) {
    return structuredClone(this.meta.get(key)) as T | undefined;
  }

  async setMeta(key: string, value: unknown) {
    this.meta.set(key, structuredClone(value));
  }

  async acquireLease(owner: string, ttlMs: number, now: number) {
    const next = leaseAfterAcquire(
      this.meta.get(LEASE_KEY) as Lease | undefined,
      owner,
      ttlMs,
      now,
    );
    if (next) this.meta.set(LEASE_KEY, next);
    return next !== undefined;
  }

  async releaseLease(owner: string) {
    const current = this.meta.get(LEASE_KEY) as Lease | undefined;
    if (current?.owner === owner) this.meta.delete(LEASE_KEY);
  }
}
