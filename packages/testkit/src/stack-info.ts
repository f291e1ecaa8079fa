import type { StackMode } from './mode.ts';

/** What the global setup hands to integration tests. */
export interface StackInfo {
  mode: StackMode;
  /** URL of the shared server's `postgres` database (for creating databases). */
  postgresAdminUrl: string;
  /** Migrated template that `useDatabase()` clones. */
  templateDatabase: string;
  redisUrl: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    stack: StackInfo;
  }
}
