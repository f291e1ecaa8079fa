import { BadRequestError, ConflictError, isDbError } from '../errors.ts';

interface PgErrorLike {
  code: string;
  constraint?: string;
  detail?: string;
}

/** Finds the PostgreSQL error in a cause chain (drizzle wraps it in `DrizzleQueryError`). */
export function pgErrorOf(error: unknown): PgErrorLike | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current && typeof current === 'object'; depth++) {
    const candidate = current as { code?: unknown; severity?: unknown; cause?: unknown };
    if (typeof candidate.code === 'string' && typeof candidate.severity === 'string') {
      return candidate as PgErrorLike;
    }
    current = candidate.cause;
  }
  return undefined;
}

const constraintMessages: Record<string, string> = {
  stock_reserved_within_quantity: 'quantity cannot drop below the reserved quantity',
  stock_branch_product_key: 'this branch already has a stock row for the product',
  reports_branch_date_key: 'this branch already has a report for that date',
  products_sku_live_key: 'a product with this SKU already exists',
  branches_code_live_key: 'a branch with this code already exists',
};

/**
 * Turns constraint violations into typed errors (unique → `ConflictError`,
 * foreign key / check / bad text → `BadRequestError`); rethrows anything else.
 */
export function rethrowAsDbError(error: unknown): never {
  if (isDbError(error)) throw error;
  const pg = pgErrorOf(error);
  if (pg) {
    const details = pg.constraint ? { constraint: pg.constraint } : undefined;
    const known = pg.constraint ? constraintMessages[pg.constraint] : undefined;
    switch (pg.code) {
      case '23505':
        throw new ConflictError(known ?? 'duplicate value', details, { cause: error });
      case '23503':
        throw new BadRequestError(known ?? 'references a row that does not exist', details, {
          cause: error,
        });
      case '23514':
        throw new BadRequestError(known ?? 'value violates a constraint', details, {
          cause: error,
        });
      case '22P02':
        throw new BadRequestError('malformed value', details, { cause: error });
    }
  }
  throw error;
}
