import { isDbError, pgErrorOf } from '@dynapharm/db';
import { type ErrorBody, type ErrorCode, type FieldIssue, fieldIssues } from '@dynapharm/types';
import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from 'pino';
import type { z } from 'zod';

/** An error the API answers with a status, a machine code and optional details. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export function validationError(error: z.ZodError, where: 'body' | 'query' | 'header' = 'body') {
  const issues: FieldIssue[] = fieldIssues(error);
  const fields = [...new Set(issues.map((i) => i.path))].join(', ');
  return new HttpError(400, 'validation_failed', `invalid ${where}: ${fields}`, { issues });
}

export const notFoundRoute: RequestHandler = (req, _res, next) => {
  next(new HttpError(404, 'not_found', `no route for ${req.method} ${req.path}`));
};

/** Maps body-parser failures (they carry `type` and `status`) to our codes. */
function fromBodyParser(err: { type?: string; status?: number }): HttpError | undefined {
  switch (err.type) {
    case 'entity.parse.failed':
      return new HttpError(400, 'malformed_json', 'request body is not valid JSON');
    case 'entity.too.large':
      return new HttpError(413, 'payload_too_large', 'request body exceeds 1 MB');
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new HttpError(415, 'unsupported_media_type', 'unsupported body encoding');
    case 'request.aborted':
    case 'request.size.invalid':
    case 'stream.encoding.set':
      return new HttpError(400, 'bad_request', 'request body could not be read');
    default:
      if (err.status && err.status >= 400 && err.status < 500) {
        return new HttpError(err.status, 'bad_request', 'bad request');
      }
      return undefined;
  }
}

const dbStatus: Partial<Record<ErrorCode, number>> = {
  not_found: 404,
  forbidden: 403,
  bad_request: 400,
  validation_failed: 400,
  conflict: 409,
  version_conflict: 409,
  insufficient_stock: 409,
  invalid_transition: 409,
  snapshot_expired: 409,
};

/**
 * PostgreSQL's class 22 ("data exception": a NUL byte in text, a number out of
 * range, …) is always about a value the caller sent, never about the server.
 */
function isDataException(err: unknown): boolean {
  return pgErrorOf(err)?.code.startsWith('22') === true;
}

/** The one error middleware: JSON `{ error: { code, message, details } }`, no internals. */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    let known: HttpError | undefined;
    if (err instanceof HttpError) known = err;
    else if (isDbError(err)) {
      const status = dbStatus[err.code] ?? 400;
      const details = Array.isArray(err.details) ? { issues: err.details } : err.details;
      known = new HttpError(status, err.code, err.message, details);
    } else if (isDataException(err)) {
      known = new HttpError(
        400,
        'bad_request',
        'a value cannot be stored (for example a NUL character in text)',
      );
    } else if (typeof err === 'object' && err !== null) known = fromBodyParser(err);
    const httpError =
      known ?? new HttpError(500, 'internal', 'internal error', undefined, { cause: err });
    if (httpError.status >= 500) {
      (req.log ?? logger).error({ err }, 'request failed');
    }
    if (res.headersSent) {
      res.end();
      return;
    }
    const body: ErrorBody = {
      error: { code: httpError.code, message: httpError.message, details: httpError.details },
    };
    res.status(httpError.status).json(body);
  };
}
