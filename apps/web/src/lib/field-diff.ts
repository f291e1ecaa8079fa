/** One field of a conflict: what I wanted, what the server holds now. */
export interface FieldDiff {
  field: string;
  mine: unknown;
  theirs: unknown;
  /** False when both sides already agree (nothing to decide). */
  differs: boolean;
}

/** Deep equality for JSON values (what rows and patches are made of). */
export function sameValue(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  return ka.every((k) => Object.hasOwn(rb, k) && sameValue(ra[k], rb[k]));
}

/**
 * The fields a conflict is about: every field of my patch, next to the
 * server's current value. Bookkeeping columns never appear.
 */
export function diffFields(
  mine: Record<string, unknown>,
  theirs: Record<string, unknown>,
): FieldDiff[] {
  const ignored = new Set(['id', 'version', 'createdAt', 'updatedAt', 'lastSyncedAt']);
  return Object.keys(mine)
    .filter((field) => !ignored.has(field))
    .map((field) => ({
      field,
      mine: mine[field],
      theirs: theirs[field],
      differs: !sameValue(mine[field], theirs[field]),
    }));
}

/**
 * The patch of an edit: fields whose value differs from the record as it was
 * loaded. An empty patch means there is nothing to save.
 */
export function changedFields(
  original: Record<string, unknown>,
  edited: Record<string, unknown>,
): Record<string, unknown> {
  const patch: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(edited)) {
    if (!sameValue(original[field], value)) patch[field] = value;
  }
  return patch;
}
