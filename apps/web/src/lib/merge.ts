import type { FieldDiff } from './field-diff.ts';

export type Side = 'mine' | 'theirs';

/** Default per-field choice: keep mine where the sides differ, otherwise nothing to choose. */
export function defaultChoices(diffs: readonly FieldDiff[]): Record<string, Side> {
  const choices: Record<string, Side> = {};
  for (const d of diffs) choices[d.field] = d.differs ? 'mine' : 'theirs';
  return choices;
}

/**
 * The record the user will see after a field-by-field merge: the server's row
 * with my value for each field I chose to keep. Mirrors what the queue sends.
 */
export function mergedRecord(
  theirs: Record<string, unknown>,
  mine: Record<string, unknown>,
  choices: Record<string, Side>,
): Record<string, unknown> {
  const out = { ...theirs };
  for (const [field, side] of Object.entries(choices)) {
    if (side === 'mine' && Object.hasOwn(mine, field)) out[field] = mine[field];
  }
  return out;
}

/** The patch a merge still has to send: only fields where I keep mine and it differs. */
export function mergePatch(
  diffs: readonly FieldDiff[],
  choices: Record<string, Side>,
): Record<string, unknown> {
  const patch: Record<string, unknown> = {};
  for (const d of diffs) if (d.differs && choices[d.field] === 'mine') patch[d.field] = d.mine;
  return patch;
}
