import { describe, expect, it } from 'vitest';
import { diffFields } from './field-diff.ts';
import { defaultChoices, mergedRecord, mergePatch } from './merge.ts';

const mine = { fullName: 'Mine', phone: '+1 555 0100', notes: 'same' };
const theirs = { id: 'c1', version: 5, fullName: 'Theirs', phone: '+1 555 0199', notes: 'same' };

describe('field-by-field merge', () => {
  it('defaults to keeping my values where the sides differ', () => {
    expect(defaultChoices(diffFields(mine, theirs))).toEqual({
      fullName: 'mine',
      phone: 'mine',
      notes: 'theirs',
    });
  });

  it('builds the row from theirs with the fields I chose to keep', () => {
    const choices = { fullName: 'mine', phone: 'theirs', notes: 'theirs' } as const;
    expect(mergedRecord(theirs, mine, choices)).toEqual({ ...theirs, fullName: 'Mine' });
  });

  it('sends only fields where I keep a different value', () => {
    const diffs = diffFields(mine, theirs);
    expect(mergePatch(diffs, { fullName: 'theirs', phone: 'mine', notes: 'mine' })).toEqual({
      phone: '+1 555 0100',
    });
    expect(mergePatch(diffs, { fullName: 'theirs', phone: 'theirs', notes: 'theirs' })).toEqual({});
  });
});
