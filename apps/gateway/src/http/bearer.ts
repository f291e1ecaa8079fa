import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** The token of an `Authorization: Bearer <token>` header, if any. */
export function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return match?.[1];
}

/**
 * Whether the request carries `expected` as its bearer token. Both sides are
 * hashed first, so the comparison takes the same time whatever the length.
 */
export function hasBearer(req: IncomingMessage, expected: string): boolean {
  const given = bearerToken(req.headers.authorization);
  if (given === undefined) return false;
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(given), digest(expected));
}
