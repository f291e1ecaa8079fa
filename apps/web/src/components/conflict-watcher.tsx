import { useState } from 'react';
import { useQueue } from '../lib/queue.tsx';
import { ConflictDialog } from './conflict-dialog.tsx';

/** Opens the conflict dialog for the first conflict the user has not put aside. */
export function ConflictWatcher() {
  const { ops } = useQueue();
  const [later, setLater] = useState<ReadonlySet<string>>(new Set());
  const op = ops.find((o) => o.status === 'conflict' && !later.has(o.opId));
  if (!op) return null;
  return (
    <ConflictDialog
      key={op.opId}
      op={op}
      onClose={() => setLater((s) => new Set(s).add(op.opId))}
    />
  );
}
