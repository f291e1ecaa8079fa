import { readChanges } from '@dynapharm/outbox';
import { can, epoch, type Principal, type ResourceName, resourceNames } from '@dynapharm/types';
import type { NodePgDatabase } from 'drizzle-orm/node-postgres';
import { Router } from 'express';
import { z } from 'zod';
import { principalOf, scopeOf } from '../http/auth.ts';
import { HttpError, validationError } from '../http/errors.ts';
import { pageLimitParam, resourcesParam } from '../http/query.ts';

const querySchema = z.strictObject({
  after: z
    .string()
    .regex(/^\d{1,15}$/, 'a non-negative integer offset')
    .transform(Number)
    .optional(),
  epoch: epoch.optional(),
  resources: resourcesParam(),
  limit: pageLimitParam,
});

/**
 * `GET /api/changes?after=<offset>&epoch=<epoch>&resources=a,b&limit=n`: the
 * caller's branch-scoped changes after an offset, in offset order (a
 * `ChangesPage` of `@dynapharm/types`). Without `after` it only reports where
 * the stream stands (where a fresh client starts).
 */
// biome-ignore lint/suspicious/noExplicitAny: the API's database, whatever its schema
export function changesRouter(db: NodePgDatabase<any>) {
  const router = Router();
  router.get('/', async (req, res) => {
    const parsed = querySchema.safeParse(req.query);
    if (!parsed.success) throw validationError(parsed.error, 'query');
    const { after, epoch, limit } = parsed.data;
    const principal = principalOf(req);
    const resources = readableResources(principal, parsed.data.resources);
    res.json(await readChanges(db, { after, epoch, resources, limit, scope: scopeOf(principal) }));
  });
  return router;
}

/**
 * The resources whose changes the caller gets: those asked for (all when none
 * are) that the role may read. `undefined` means all of them. Today every role
 * reads every resource, so this only matters once the matrix withholds one.
 */
function readableResources(
  principal: Principal,
  requested: readonly ResourceName[] | undefined,
): ResourceName[] | undefined {
  const asked = requested !== undefined && requested.length > 0;
  const wanted = asked ? [...new Set(requested)] : resourceNames;
  const readable = wanted.filter((r) => can(principal.role, r, 'read'));
  if (readable.length === 0) {
    // An empty filter would mean every resource to readChanges: refuse instead.
    throw new HttpError(
      403,
      'forbidden',
      `role ${principal.role} may not read ${wanted.join(', ')}`,
      {
        role: principal.role,
        resource: wanted.join(','),
        action: 'read',
      },
    );
  }
  return !asked && readable.length === resourceNames.length ? undefined : readable;
}
