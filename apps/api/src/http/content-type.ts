import type { RequestHandler } from 'express';
import { HttpError } from './errors.ts';

/** Writes that carry a body must say it is JSON; anything else is a 415. */
export const requireJsonBody: RequestHandler = (req, _res, next) => {
  if (req.method === 'GET' || req.method === 'HEAD' || req.method === 'OPTIONS') return next();
  const length = req.get('content-length');
  const hasBody =
    req.get('transfer-encoding') !== undefined || (length !== undefined && length !== '0');
  if (hasBody && !req.is('application/json')) {
    return next(
      new HttpError(415, 'unsupported_media_type', 'send the body as application/json', {
        issues: [{ path: 'Content-Type', message: `got ${req.get('content-type') ?? 'none'}` }],
      }),
    );
  }
  next();
};
