import type { QueuedOperation } from '@dynapharm/offline-sync';
import { useState } from 'react';
import { diffFields } from '../lib/field-diff.ts';
import { fieldLabel, formatValue } from '../lib/format.ts';
import { defaultChoices, mergedRecord, mergePatch, type Side } from '../lib/merge.ts';
import { useQueue } from '../lib/queue.tsx';
import { Dialog } from './dialog.tsx';

interface ConflictDialogProps {
  op: QueuedOperation;
  onClose(): void;
}

/**
 * My queued change next to the server's newer row, field by field: keep
 * theirs, apply mine on top, or choose per field (the queue's `resolveConflict`).
 */
export function ConflictDialog({ op, onClose }: ConflictDialogProps) {
  const { queue } = useQueue();
  const conflict = op.conflict;
  const diffs = conflict ? diffFields(conflict.mine.data, conflict.theirs) : [];
  const [choices, setChoices] = useState(() => defaultChoices(diffs));
  const [error, setError] = useState<string>();
  const canMerge = op.action === 'update' && diffs.length > 0;
  const result = conflict ? mergedRecord(conflict.theirs, conflict.mine.data, choices) : {};
  const toSend = Object.keys(mergePatch(diffs, choices));

  const resolve = async (
    resolution:
      | { strategy: 'theirs' }
      | { strategy: 'mine' }
      | { strategy: 'merge'; fields: Record<string, Side> },
  ) => {
    if (!queue) return;
    try {
      await queue.resolveConflict(op.opId, resolution);
      onClose();
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  };

  const theirsVersion = conflict?.theirs.version;
  return (
    <Dialog title={`Conflict: ${op.resource} ${op.action}`} open onClose={onClose} wide>
      <p>
        Someone changed this record after you started editing (you edited version{' '}
        {conflict?.mine.baseVersion ?? '?'}, the server now has version {formatValue(theirsVersion)}
        ). Choose what to keep.
      </p>
      {diffs.length > 0 ? (
        <table className="table conflict-table">
          <caption className="sr-only">Your values and theirs, per field</caption>
          <thead>
            <tr>
              <th scope="col">Field</th>
              <th scope="col">Mine</th>
              <th scope="col">Theirs</th>
              {canMerge ? <th scope="col">Keep</th> : null}
              {canMerge ? <th scope="col">Result</th> : null}
            </tr>
          </thead>
          <tbody>
            {diffs.map((d) => (
              <tr key={d.field} className={d.differs ? 'differs' : undefined}>
                <th scope="row">{fieldLabel(d.field)}</th>
                <td data-label="Mine">{formatValue(d.mine)}</td>
                <td data-label="Theirs">{formatValue(d.theirs)}</td>
                {canMerge ? (
                  <td data-label="Keep">
                    <fieldset className="choice" disabled={!d.differs}>
                      <legend className="sr-only">Keep for {fieldLabel(d.field)}</legend>
                      {(['mine', 'theirs'] as const).map((side) => (
                        <label key={side}>
                          <input
                            type="radio"
                            name={`keep-${d.field}`}
                            checked={choices[d.field] === side}
                            onChange={() => setChoices((c) => ({ ...c, [d.field]: side }))}
                          />
                          {side}
                        </label>
                      ))}
                    </fieldset>
                  </td>
                ) : null}
                {canMerge ? <td data-label="Result">{formatValue(result[d.field])}</td> : null}
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <p>The server refused this {op.action} because the record changed.</p>
      )}
      {canMerge ? (
        <p className="hint">
          Merge sends{' '}
          {toSend.length > 0
            ? toSend.map(fieldLabel).join(', ')
            : 'nothing (same as keeping theirs)'}
          .
        </p>
      ) : null}
      {error ? (
        <p className="form-error" role="alert">
          {error}
        </p>
      ) : null}
      <div className="form-actions">
        <button type="button" onClick={() => void resolve({ strategy: 'theirs' })}>
          Keep theirs
        </button>
        <button type="button" onClick={() => void resolve({ strategy: 'mine' })}>
          Apply mine on top
        </button>
        {canMerge ? (
          <button
            type="button"
            className="primary"
            onClick={() => void resolve({ strategy: 'merge', fields: choices })}
          >
            Merge selected
          </button>
        ) : null}
      </div>
    </Dialog>
  );
}
