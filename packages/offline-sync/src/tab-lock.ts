import type { QueueStorage } from './storage/storage.ts';

/** The part of the Web Locks API (`navigator.locks`) the queue uses. */
export interface LockManagerLike {
  request<T>(
    name: string,
    options: { ifAvailable: boolean },
    callback: (lock: unknown) => Promise<T>,
  ): Promise<T>;
}

export const LOCKED = Symbol('locked');

export interface ReplayLockConfig {
  /** Web Locks; `null` falls back to the storage lease. */
  locks: LockManagerLike | null;
  lockName: string;
  storage: QueueStorage;
  /** This tab's lease owner id. */
  owner: string;
  leaseTtlMs: number;
  now: () => number;
}

/**
 * Runs `fn` only if this tab gets the replay lock, so one tab replays at a
 * time. With Web Locks the browser releases the lock when the tab dies; with
 * the storage lease a dead tab's lease expires after `leaseTtlMs`, and `fn`
 * renews it (`renew()`) before each request, stopping if it was lost.
 */
export async function withReplayLock<T>(
  config: ReplayLockConfig,
  fn: (renew: () => Promise<boolean>) => Promise<T>,
): Promise<T | typeof LOCKED> {
  if (config.locks) {
    return config.locks.request(config.lockName, { ifAvailable: true }, async (lock) =>
      lock ? fn(async () => true) : LOCKED,
    );
  }
  const { storage, owner, leaseTtlMs, now } = config;
  const renew = () => storage.acquireLease(owner, leaseTtlMs, now());
  if (!(await renew())) return LOCKED;
  try {
    return await fn(renew);
  } finally {
    await storage.releaseLease(owner).catch(() => undefined);
  }
}

/** `navigator.locks` when the runtime has it. */
export function defaultLocks(): LockManagerLike | null {
  const nav = (globalThis as { navigator?: { locks?: LockManagerLike } }).navigator;
  return nav?.locks ?? null;
}
