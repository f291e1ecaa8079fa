import type { ErrorCode } from '@dynapharm/types';

/**
 * Base class of the errors repositories throw on purpose. `code` is one of the
 * shared `errorCodes` (the API's error middleware gives each code its HTTP
 * status); `details` is safe to show to the caller.
 */
export abstract class DbError extends Error {
  abstract readonly code: ErrorCode;
  readonly details: unknown;

  constructor(message: string, details?: unknown, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.details = details;
  }
}

/** The row does not exist, or lies outside the caller's scope (deny by default). */
export class NotFoundError extends DbError {
  readonly code = 'not_found';
  constructor(
    readonly resource: string,
    readonly id: string,
  ) {
    super(`${resource} ${id} not found`, { resource, id });
  }
}

/** The caller may see the row but not write it (e.g. a global product, another branch). */
export class ForbiddenError extends DbError {
  readonly code = 'forbidden';
}

/** Bad input the schema could not catch: a malformed cursor, an unknown client, a filter. */
export class BadRequestError extends DbError {
  readonly code = 'bad_request';
}

/** A `cursor` that this package did not produce (or that was tampered with). */
export class InvalidCursorError extends BadRequestError {
  constructor(cause?: unknown) {
    super('malformed cursor', { field: 'cursor' }, { cause });
  }
}

/** A uniqueness clash, or a create with a known id but different content. */
export class ConflictError extends DbError {
  readonly code = 'conflict';
}

/** `expectedVersion` is not the row's version; `current` is the row as it is now. */
export class VersionConflictError<T = unknown> extends DbError {
  readonly code = 'version_conflict';
  constructor(
    readonly current: T,
    readonly expectedVersion: number,
  ) {
    super(`version conflict: expected ${expectedVersion}`, { current, expectedVersion });
  }
}

/** One product an order asked for more of than is available. */
export interface StockShortfall {
  productId: string;
  requested: number;
  /** `quantity - reserved` in the order's branch (0 when the branch holds no stock row). */
  available: number;
}

/** An order would oversell; nothing was reserved. */
export class InsufficientStockError extends DbError {
  readonly code = 'insufficient_stock';
  constructor(readonly shortfalls: StockShortfall[]) {
    super(`insufficient stock for product(s) ${shortfalls.map((s) => s.productId).join(', ')}`, {
      shortfalls,
    });
  }
}

/** A status move that `orderTransitions` does not allow. */
export class InvalidTransitionError extends DbError {
  readonly code = 'invalid_transition';
  constructor(
    readonly from: string,
    readonly to: string,
  ) {
    super(`cannot move an order from ${from} to ${to}`, { from, to });
  }
}

export function isDbError(error: unknown): error is DbError {
  return error instanceof DbError;
}
