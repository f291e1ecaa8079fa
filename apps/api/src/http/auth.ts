import { TokenError, type TokenVerifier } from '@dynapharm/auth';
import {
  type Action,
  can,
  canSeeBranch,
  type Principal,
  type ResourceName,
} from '@dynapharm/types';
import type { Request, RequestHandler } from 'express';
import { HttpError } from './errors.ts';

declare global {
  namespace Express {
    interface Request {
      principal?: Principal;
    }
  }
}

/** Verifies the bearer token of every request it guards. */
export function requireAuth(verify: TokenVerifier): RequestHandler {
  return async (req, _res, next) => {
    const header = req.get('authorization');
    const match = header?.match(/^Bearer\s+(\S+)$/i);
    if (!match?.[1]) {
      next(new HttpError(401, 'unauthorized', 'Authorization: Bearer <token> required'));
      return;
    }
    try {
      req.principal = (await verify(match[1])).principal;
      next();
    } catch (err) {
      const message = err instanceof TokenError ? err.message : 'invalid token';
      next(new HttpError(401, 'unauthorized', message));
    }
  };
}

export function principalOf(req: Request): Principal {
  if (!req.principal) throw new HttpError(401, 'unauthorized', 'not authenticated');
  return req.principal;
}

/** The branches a caller may touch: `'all'` for admins, else their list (deny by default). */
export function scopeOf(principal: Principal): 'all' | string[] {
  return principal.role === 'admin' ? 'all' : [...principal.branches];
}

/** Refuses a write aimed at a branch outside the caller's scope. */
export function assertBranchWrite(principal: Principal, branchId: string | null) {
  if (!canSeeBranch(principal, branchId)) {
    throw new HttpError(403, 'forbidden', 'branchId is outside your branches', {
      issues: [{ path: 'branchId', message: 'not one of your branches' }],
    });
  }
}

/**
 * Refuses, with a 403 naming role, resource and action, a request whose role
 * lacks one of `needed` on `resource` (the matrix of `@dynapharm/types`). It
 * runs before any database work, so it says nothing about whether a row exists.
 */
export function authorize(principal: Principal, resource: ResourceName, needed: readonly Action[]) {
  for (const action of needed) {
    if (!can(principal.role, resource, action)) {
      throw new HttpError(
        403,
        'forbidden',
        `role ${principal.role} may not ${action} ${resource}`,
        { role: principal.role, resource, action },
      );
    }
  }
}
