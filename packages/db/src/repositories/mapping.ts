/** A row with every `Date` turned into its ISO string, as the API shapes expect. */
export type ApiShape<Row> = {
  [K in keyof Row]: Row[K] extends Date
    ? string
    : Date extends Row[K]
      ? Exclude<Row[K], Date> | string
      : Row[K];
};

/**
 * Maps a drizzle row (camelCase keys already) to the API shape: timestamps become
 * ISO-8601 strings with milliseconds, exactly as the triggers write `sync_log.data`.
 */
export function toApiRecord<Row extends object>(row: Row): ApiShape<Row> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(row)) {
    out[key] = value instanceof Date ? value.toISOString() : value;
  }
  return out as ApiShape<Row>;
}

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
