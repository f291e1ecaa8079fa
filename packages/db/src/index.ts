export * from './client.ts';
export * from './cursor.ts';
export * from './errors.ts';
export * from './migrate.ts';
export * from './repositories/branches.ts';
export * from './repositories/clients.ts';
export type { CreateResult, ListQuery, Page, WriteContext } from './repositories/core.ts';
export * from './repositories/create-repositories.ts';
export * from './repositories/employees.ts';
export type { ApiShape } from './repositories/mapping.ts';
export * from './repositories/orders.ts';
export * from './repositories/products.ts';
export * from './repositories/reports.ts';
export * from './repositories/resource-repository.ts';
export * from './repositories/stock.ts';
export {
  type IdempotencyClaim,
  readStoredAnswer,
  type StoredAnswer,
  type WriteOutcome,
} from './repositories/write.ts';
export * from './schema/index.ts';
export * from './scope.ts';
export { type DemoUser, demoUsers } from './seed/demo-users.ts';
export { type SeedOptions, type SeedSummary, seedDatabase } from './seed/seed.ts';
export * from './transaction.ts';
