/**
 * The branches a caller may touch: `'all'` (admins, services) or a list of branch
 * ids. An empty list sees only global rows (products). Rows outside the scope
 * are reported as not found, never as forbidden, so their existence does not leak.
 */
export type Scope = 'all' | readonly string[];

/** Whether rows of `branchId` (`null`: a global row) are visible in `scope`. */
export function canRead(scope: Scope, branchId: string | null): boolean {
  return scope === 'all' || branchId === null || scope.includes(branchId);
}

/** Whether rows of `branchId` may be written in `scope`; global rows need `'all'`. */
export function canWrite(scope: Scope, branchId: string | null): boolean {
  return scope === 'all' || (branchId !== null && scope.includes(branchId));
}
