import { createHash } from 'node:crypto';
import type { RequestHandler, Response } from 'express';
import type { Pool } from 'pg';
import { HttpError } from './errors.ts';

const KEY_PATTERN = /^[\x21-\x7e]{1,200}$/;

/**
 * How long an unfinished key blocks replays before it is considered abandoned
 * (its API process died mid-request). Taking one over is safe because every
 * write is itself repeatable: creates carry their id, updates their version.
 */
const ABANDONED_AFTER_MS = 10_000;

function requestHash(method: string, path: string, body: unknown) {
  return createHash('sha256')
    .update(`${method} ${path}\n${JSON.stringify(body ?? null)}`)
    .digest('hex');
}

/**
 * Makes every write repeatable with an `Idempotency-Key` header: the first
 * request runs and its status and body are stored; a repeat with the same body
 * gets the stored answer without a second effect; the same key with another
 * body is refused. Server errors (5xx) are not stored, so they can be retried.
 */
export function idempotency(pool: Pool): RequestHandler {
  return async (req, res, next) => {
    if (req.method === 'GET' || req.method === 'HEAD' || req.method === 'OPTIONS') return next();
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
    const principal = req.principal?.userId ?? 'anonymous';
    const path = req.originalUrl.split('?')[0] ?? req.path;
    const hash = requestHash(req.method, path, req.body);
    try {
      const claimed = await claim(pool, principal, key, req.method, path, hash);
      if (claimed === 'claimed') {
        res.locals.idempotencyKey = key;
        captureResponse(res, pool, principal, key);
        return next();
      }
      if (claimed.requestHash !== hash) {
        return next(
          new HttpError(
            422,
            'idempotency_mismatch',
            'Idempotency-Key was already used with a different request',
          ),
        );
      }
      if (claimed.status === null) {
        res.setHeader('Retry-After', '1');
        return next(
          new HttpError(409, 'idempotency_in_progress', 'a request with this key is in progress'),
        );
      }
      res.setHeader('Idempotent-Replayed', 'true');
      res.status(claimed.status).json(claimed.response);
    } catch (err) {
      next(err);
    }
  };
}

interface StoredKey {
  requestHash: string;
  status: number | null;
  response: unknown;
}

async function claim(
  pool: Pool,
  principal: string,
  key: string,
  method: string,
  path: string,
  hash: string,
): Promise<'claimed' | StoredKey> {
  const inserted = await pool.query(
    `INSERT INTO idempotency_keys (principal, key, method, path, request_hash)
     VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (principal, key) DO NOTHING`,
    [principal, key, method, path, hash],
  );
  if (inserted.rowCount === 1) return 'claimed';
  // A key whose first request died before answering is taken over. Writes are
  // safe to redo: creates carry their id, updates their expected version.
  const takeover = await pool.query(
    `UPDATE idempotency_keys SET created_at = now()
      WHERE principal = $1 AND key = $2 AND status IS NULL AND request_hash = $3
        AND created_at < now() - make_interval(secs => $4)`,
    [principal, key, hash, ABANDONED_AFTER_MS / 1000],
  );
  if (takeover.rowCount === 1) return 'claimed';
  const { rows } = await pool.query<{
    request_hash: string;
    status: number | null;
    response: unknown;
  }>(
    'SELECT request_hash, status, response FROM idempotency_keys WHERE principal = $1 AND key = $2',
    [principal, key],
  );
  const row = rows[0];
  if (!row) return claim(pool, principal, key, method, path, hash);
  return { requestHash: row.request_hash, status: row.status, response: row.response };
}

/**
 * Stores the answer before it is sent, so a client that got a response can
 * always replay it. Server errors release the key instead.
 */
function captureResponse(res: Response, pool: Pool, principal: string, key: string) {
  const json = res.json.bind(res);
  res.json = (value: unknown) => {
    const store =
      res.statusCode >= 500
        ? pool.query('DELETE FROM idempotency_keys WHERE principal = $1 AND key = $2', [
            principal,
            key,
          ])
        : pool.query(
            `UPDATE idempotency_keys SET status = $3, response = $4, completed_at = now()
              WHERE principal = $1 AND key = $2`,
            [principal, key, res.statusCode, JSON.stringify(value ?? null)],
          );
    store.then(
      () => json(value),
      (err: unknown) => {
        res.req.log?.error({ err }, 'could not store idempotency result');
        res.status(503);
        json({ error: { code: 'unavailable', message: 'could not record the result; retry' } });
      },
    );
    return res;
  };
}
