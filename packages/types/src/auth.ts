import { z } from 'zod';
import { id } from './common.ts';

export const roles = ['admin', 'manager', 'staff'] as const;
export const role = z.enum(roles);
export type Role = z.infer<typeof role>;

/** The claims every token must carry (docs/architecture.md §6). */
export const tokenClaimsSchema = z.object({
  sub: z.string().min(1).max(200),
  role,
  branches: z.array(id).max(500).default([]),
  name: z.string().max(200).optional(),
});
export type TokenClaims = z.infer<typeof tokenClaimsSchema>;

/** The authenticated caller as API and gateway see it. */
export interface Principal {
  userId: string;
  role: Role;
  /** Branch ids the caller may see; ignored for admins, who see all. */
  branches: readonly string[];
  name?: string;
}

export function principalFromClaims(claims: TokenClaims): Principal {
  return { userId: claims.sub, role: claims.role, branches: claims.branches, name: claims.name };
}

/** Whether the caller may see rows of this branch (`null`: a global row). */
export function canSeeBranch(principal: Principal, branchId: string | null): boolean {
  if (principal.role === 'admin' || branchId === null) return true;
  return principal.branches.includes(branchId);
}
