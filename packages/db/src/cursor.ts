import { InvalidCursorError } from './errors.ts';

/** Position after the last row of a page in the `(updated_at, id)` order. */
export interface CursorPosition {
  updatedAt: Date;
  id: string;
}

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Encodes a page position as an opaque base64url token. */
export function encodeCursor(position: CursorPosition): string {
  return Buffer.from(JSON.stringify([position.updatedAt.toISOString(), position.id])).toString(
    'base64url',
  );
}

/** Decodes a token from `encodeCursor`; anything else throws `InvalidCursorError`. */
export function decodeCursor(token: string): CursorPosition {
  if (token.length === 0 || token.length > 200 || !/^[A-Za-z0-9_-]+$/.test(token)) {
    throw new InvalidCursorError();
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch (error) {
    throw new InvalidCursorError(error);
  }
  if (!Array.isArray(parsed) || parsed.length !== 2) throw new InvalidCursorError();
  const [at, id] = parsed as unknown[];
  if (typeof at !== 'string' || typeof id !== 'string' || !uuidPattern.test(id)) {
    throw new InvalidCursorError();
  }
  const updatedAt = new Date(at);
  if (Number.isNaN(updatedAt.getTime()) || updatedAt.toISOString() !== at) {
    throw new InvalidCursorError();
  }
  return { updatedAt, id: id.toLowerCase() };
}
