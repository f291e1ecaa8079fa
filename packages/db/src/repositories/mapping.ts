/**
 * A row with every `Date` turned into its ISO string: the type of a record in the
 * API shape, which `dynapharm_api_json` builds in SQL.
 */
export type ApiShape<Row> = {
  [K in keyof Row]: Row[K] extends Date
    ? string
    : Date extends Row[K]
      ? Exclude<Row[K], Date> | string
      : Row[K];
};

/** Structural equality of JSON-like values (used to recognise an idempotent re-create). */
export function sameValue(a: unknown, b: unknown): boolean {
  if (a instanceof Date || b instanceof Date) {
    const at = a instanceof Date ? a.toISOString() : a;
    const bt = b instanceof Date ? b.toISOString() : b;
    return at === bt;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((item, i) => sameValue(item, b[i]));
  }
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const key of keys) {
      if (!sameValue((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key])) {
        return false;
      }
    }
    return true;
  }
  return a === b;
}
