import { describe, expect, it } from 'vitest';
import { BadRequestError } from './errors.ts';
import { decodeSnapshotCursor, encodeSnapshotCursor } from './snapshot.ts';

describe('snapshot cursor', () => {
  const cursor = {
    offset: 25_568,
    epoch: '5a74b61b-c998-4633-84bd-d37df588a1b2',
    resources: ['clients', 'orders'] as const,
    index: 1,
    lastId: '33d99951-f604-c175-bf1d-2ca7befe20eb',
  };

  it('round-trips, with a last id that is a uuid of no RFC 9562 version (imported rows)', () => {
    const token = encodeSnapshotCursor({ ...cursor, resources: [...cursor.resources] });
    expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeSnapshotCursor(token)).toEqual({ ...cursor, resources: [...cursor.resources] });
  });

  it.each([
    ['an id that is not a uuid', { ...cursor, lastId: 'not-a-uuid' }],
    ['an index past the resources', { ...cursor, index: 2 }],
  ])('refuses %s with a 400 naming the cursor', (_, bad) => {
    const token = encodeSnapshotCursor({ ...bad, resources: [...bad.resources] });
    expect(() => decodeSnapshotCursor(token)).toThrow(BadRequestError);
  });
});
