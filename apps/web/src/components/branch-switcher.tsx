import { useId } from 'react';
import { useSession } from '../lib/session.tsx';

/** Chooses the branch the console works on: the token's branches, or every branch for admins. */
export function BranchSwitcher() {
  const { branches, branchId, setBranchId, isAdmin } = useSession();
  const id = useId();
  return (
    <div className="branch-switcher">
      <label htmlFor={id}>Branch</label>
      <select id={id} value={branchId} onChange={(e) => setBranchId(e.target.value)}>
        {isAdmin ? <option value="">All branches</option> : null}
        {branches.map((b) => (
          <option key={b.id} value={b.id}>
            {b.code} · {b.name}
          </option>
        ))}
      </select>
    </div>
  );
}
