import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { cloneDatabase, type IsolatedDatabase } from './database.ts';
import type { StackInfo } from './stack-info.ts';

/** Connection info of the run's shared servers (integration tests only). */
export function stack(): StackInfo {
  return inject('stack');
}

/** A fresh database cloned from the migrated template; drop it when done. */
export function createTestDatabase(): Promise<IsolatedDatabase> {
  const info = stack();
  return cloneDatabase(info.postgresAdminUrl, info.templateDatabase);
}

/**
 * A unique prefix for Redis keys and channels, so tests sharing one Redis
 * never see each other's data.
 */
export function redisNamespace(label = 't') {
  return `${label}:${randomBytes(5).toString('hex')}:`;
}
