import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor } from './cursor.ts';
import { InvalidCursorError } from './errors.ts';

describe('cursor', () => {
  const position = {
    updatedAt: new Date('2025-03-01T08:15:30.123Z'),
    id: '01955a3e-8f1b-7c44-9d0e-2b6f1c3a4d5e',
  };

  it('round-trips a position through an opaque base64url token', () => {
    const token = encodeCursor(position);
    expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(token)).toEqual(position);
  });

  it.each([
    ['empty', ''],
    ['not base64url', 'abc+/='],
    ['not JSON', Buffer.from('hello').toString('base64url')],
    ['wrong arity', Buffer.from('["2025-03-01T08:15:30.123Z"]').toString('base64url')],
    ['bad date', Buffer.from(`["yesterday","${position.id}"]`).toString('base64url')],
    ['bad id', Buffer.from('["2025-03-01T08:15:30.123Z","x"]').toString('base64url')],
    ['non-canonical date', Buffer.from(`["2025-03-01","${position.id}"]`).toString('base64url')],
    ['too long', 'a'.repeat(500)],
  ])('rejects a token that is %s with InvalidCursorError', (_, token) => {
    expect(() => decodeCursor(token)).toThrow(InvalidCursorError);
    try {
      decodeCursor(token);
    } catch (error) {
      expect((error as InvalidCursorError).code).toBe('bad_request');
    }
  });
});
