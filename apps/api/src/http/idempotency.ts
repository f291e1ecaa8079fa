import { createHash } from 'node:crypto';
import type { IdempotencyClaim, StoredAnswer, WriteOutcome } from '@dynapharm/db';
import type { ErrorRequestHandler, Request, RequestHandler, Response } from 'express';
import type { Pool } from 'pg';
import { HttpError } from './errors.ts';

const KEY_PATTERN = /^[\x21-\x7e]{1,200}$/;
const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * Everything that makes a request what it is: method, path with query string
 * (a DELETE's `?version=`), the expected version of `If-Match`, and the body.
 */
function requestHash(req: Request): string {
  return createHash('sha256')
    .update(`${req.method} ${req.originalUrl}\n`)
    .update(`${req.get('if-match') ?? ''}\n`)
    .update(JSON.stringify(req.body ?? null))
    .digest('hex');
}

interface KeyState {
  claim: IdempotencyClaim;
  lookup(): Promise<Pick<StoredAnswer, 'requestHash'> | undefined>;
}

function keyState(res: Response): KeyState | undefined {
  return res.locals.idempotency as KeyState | undefined;
}

/**
 * Reads the `Idempotency-Key` of a write and prepares its claim; the write
 * itself stores the key with its answer in the same statement (see
 * `performWrite` in @dynapharm/db), so a key exists only for a committed write:
 * a retry gets the stored answer, or waits for the request still in flight.
 * Failed writes store nothing, so they can be retried with the same key.
 */
export function idempotency(pool: Pool): RequestHandler {
  return (req, res, next) => {
    if (!WRITE_METHODS.has(req.method)) return next();
    const key = req.get('idempotency-key');
    if (key === undefined) return next();
    if (!KEY_PATTERN.test(key)) {
      return next(
        new HttpError(
          400,
          'bad_request',
          'Idempotency-Key must be 1-200 visible ASCII characters',
          {
            issues: [{ path: 'Idempotency-Key', message: 'invalid header' }],
          },
        ),
      );
    }
    const claim: IdempotencyClaim = {
      principal: req.principal?.userId ?? 'anonymous',
      key,
      method: req.method,
      path: req.originalUrl.split('?')[0] ?? req.path,
      requestHash: requestHash(req),
    };
    const state: KeyState = {
      claim,
      async lookup() {
        const { rows } = await pool.query<{ request_hash: string }>(
          'SELECT request_hash FROM idempotency_keys WHERE principal = $1 AND key = $2',
          [claim.principal, claim.key],
        );
        return rows[0] ? { requestHash: rows[0].request_hash } : undefined;
      },
    };
    res.locals.idempotency = state;
    next();
  };
}

/** The claim of the current request, for the repository write. */
export function idempotencyClaim(res: Response): IdempotencyClaim | undefined {
  return keyState(res)?.claim;
}

function mismatch() {
  return new HttpError(
    422,
    'idempotency_mismatch',
    'Idempotency-Key was already used with a different request',
  );
}

/**
 * Answers a write: the record with its version as ETag, or the stored answer
 * of the key's first request (`Idempotent-Replayed: true`, same status, body
 * and ETag). A key first used for another request is refused with 422.
 */
export function sendWriteOutcome(res: Response, outcome: WriteOutcome<{ version: number }>) {
  if (!outcome.replayed) {
    res.setHeader('ETag', `"${outcome.record.version}"`);
    res.status(outcome.status).json(outcome.record);
    return;
  }
  const { answer } = outcome;
  if (answer.requestHash !== keyState(res)?.claim.requestHash) throw mismatch();
  res.setHeader('Idempotent-Replayed', 'true');
  if (answer.etag) res.setHeader('ETag', answer.etag);
  res.status(answer.status).json(answer.body);
}

/**
 * For a write refused before it reached the database (its input is invalid):
 * a key already used by another request is reported as such, as it would be
 * had the write run. Costs a lookup only on that error path.
 */
export const reusedKeyCheck: ErrorRequestHandler = async (err, _req, res, next) => {
  const state = keyState(res);
  if (
    !state ||
    !(err instanceof HttpError) ||
    err.status >= 500 ||
    err.code === 'idempotency_mismatch' ||
    // A role refused by the permission matrix gets its 403 without a database round trip.
    err.code === 'forbidden'
  ) {
    return next(err);
  }
  try {
    const stored = await state.lookup();
    if (stored && stored.requestHash !== state.claim.requestHash) return next(mismatch());
  } catch (lookupError) {
    res.req.log?.warn({ err: lookupError }, 'could not look up an idempotency key');
  }
  next(err);
};
